"""Words in identifiers, and the vocabularies rules judge purpose by.

Several rules decide what a value is *for* from the names around it: the
variable receiving it, the key it is stored under, the function it is made
in. `words("make_resetToken")` gives {"make", "reset", "token"}.
"""

from __future__ import annotations

import re

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")

# A value named with one of these is a secret or protects something.
SECURITY_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "signature", "sign", "signed",
    "nonce", "salt", "otp", "session", "sessionid", "csrf", "apikey", "credential", "credentials",
    "auth", "authenticate", "hmac",
})
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase"})


def words(text: str) -> set[str]:
    """Lower-case words of an identifier or string: snake_case, camelCase,
    dotted and dashed names all split."""
    return {w.lower() for w in _WORD_SPLIT.split(text) if w}
