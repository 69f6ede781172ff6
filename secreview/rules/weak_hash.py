"""MD5 or SHA-1 used where the hash has to resist an attacker.

## What it does
Finds `hashlib.md5`/`hashlib.sha1` (and `hashlib.new("md5"/"sha1"/"md4")`,
PyCryptodome's `MD5.new`/`SHA1.new`, cryptography's `hashes.MD5()`/`hashes.SHA1()`)
when the code around the call shows a security purpose: the hashed value
(the call's arguments, or what is later fed to the hash object's `.update()`),
the variable receiving the digest or the enclosing function is about a
password, secret, token, signature, nonce, salt, session or API key.

Passwords: MD5 or SHA-1 of a password is reported here, with high severity
and a key-derivation function as the fix (the algorithm is broken whatever
it protects). A password hashed with a sound but fast hash (SHA-256, SHA-3,
BLAKE2) is `py.password-hash`'s (CWE-916); the two rules split by algorithm,
so one line never gets both findings.

Not reported: hashes whose digest goes to a cache key, id, file name,
fingerprint, ETag, checksum, de-duplication or sharding (the receiving
variable or the enclosing function says so, which outweighs what is hashed),
any call with `usedforsecurity=False`, `hmac.new(key, msg, hashlib.sha1)`
(HMAC does not rely on collision resistance), and hashes whose purpose the
code does not reveal (a reviewer cannot act on a guess): comparing a
download's MD5 with an expected value is an integrity check against
corruption, not a security control this rule can judge.

## Why is this bad?
MD5 and SHA-1 collisions can be produced cheaply, and both are fast enough to
brute-force leaked password hashes at billions of guesses per second. A token,
signature or password store built on them can be forged or cracked (CWE-328).

## Example
```python
def make_reset_token(user_id, secret):
    return hashlib.md5(f"{user_id}:{secret}".encode()).hexdigest()
```

## Use instead
For tokens and integrity use SHA-256 (better: HMAC-SHA-256 with a secret key,
or `secrets.token_urlsafe()` for random tokens); for passwords use a
key-derivation function (`hashlib.scrypt`, `hashlib.pbkdf2_hmac`, argon2, bcrypt):
```python
def make_reset_token(user_id, secret):
    return hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()
```

## References
- https://cwe.mitre.org/data/definitions/328.html
- https://docs.python.org/3/library/hashlib.html#hashlib.new (usedforsecurity)
- https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules._hashing import fed_to_update, hash_algorithm
from secreview.rules._vocabulary import PASSWORD_WORDS as _PASSWORD_WORDS
from secreview.rules._vocabulary import SECURITY_WORDS as _SECURITY_WORDS
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

_WEAK_CALLS = {
    "hashlib.md5": "MD5", "hashlib.sha1": "SHA-1",
    "Crypto.Hash.MD5.new": "MD5", "Crypto.Hash.SHA1.new": "SHA-1",
    "Cryptodome.Hash.MD5.new": "MD5", "Cryptodome.Hash.SHA1.new": "SHA-1",
    "cryptography.hazmat.primitives.hashes.MD5": "MD5",
    "cryptography.hazmat.primitives.hashes.SHA1": "SHA-1",
}
_WEAK_NAMES = {"md5": "MD5", "sha1": "SHA-1", "md4": "MD4", "sha-1": "SHA-1"}
# Callee attribute -> the SHA-256 constructor of the same module.
_STRONGER = {"md5": "sha256", "sha1": "sha256", "MD5": "SHA256", "SHA1": "SHA256"}

_BENIGN_WORDS = frozenset({
    "cache", "cached", "etag", "fingerprint", "checksum", "checksums", "filename", "file", "path",
    "dedup", "dedupe", "shard", "bucket", "partition", "uuid", "id", "ids", "color", "colour",
    "lock", "name", "identifier", "hashname", "digest_path", "sort", "seed",
})
_HASHED = "the hashed value"


class WeakHash(Rule):
    id = "py.weak-hash"
    name = "Weak hash (MD5/SHA-1) used for security"
    cwe = (328,)
    severity = Severity.MEDIUM
    bandit_ids = ("B303", "B324")
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            algorithm = self._algorithm(ctx, call, name)
            if algorithm is None:
                continue
            used_for_security = ctx.keyword(call, "usedforsecurity")
            if used_for_security is not None and ctx.literal_values(used_for_security) == [False]:
                continue
            purpose = self._purpose(ctx, call)
            if purpose is None:
                continue
            words, where, is_password = purpose
            yield self._report(ctx, call, name, algorithm, words, where, is_password)

    @staticmethod
    def _algorithm(ctx: FileContext, call: ast.Call, name: str) -> str | None:
        return hash_algorithm(ctx, call, name, _WEAK_CALLS, _WEAK_NAMES)

    def _purpose(self, ctx: FileContext, call: ast.Call) -> tuple[set[str], str, bool] | None:
        """(security words seen, where they were seen, password?) or None."""
        contexts: list[tuple[str, str]] = []  # (text, description)
        hashed = [*call.args, *(k.value for k in call.keywords if k.arg not in ("usedforsecurity", "name"))]
        if ctx.call_name(call) == "hashlib.new" and call.args:
            hashed = hashed[1:]  # the algorithm name
        stmt = ctx.enclosing_statement(call)
        hashed += self._updates(ctx, call, stmt)
        for arg in hashed:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name) and node.id not in ctx.module_imports:
                    contexts.append((node.id, _HASHED))
                elif isinstance(node, ast.Attribute):
                    contexts.append((node.attr, _HASHED))
        # The digest's destination: `x = md5(...)...`, `return ...` in a function.
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            targets = [stmt.target]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    contexts.append((node.id, "the variable receiving the digest"))
                elif isinstance(node, ast.Attribute):
                    contexts.append((node.attr, "the variable receiving the digest"))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    contexts.append((node.value, "the key receiving the digest"))
        func = ctx.enclosing_function(call)
        if func is not None:
            contexts.append((func.name, f"the function `{func.name}()`"))
        seen_security: set[str] = set()
        where = ""
        for text, description in contexts:
            words = _words(text)
            if description != _HASHED and words & _BENIGN_WORDS:
                return None  # the digest becomes a cache key, id, file name...: not a security use
            hits = words & _SECURITY_WORDS
            if hits and not seen_security:
                where = description
            seen_security |= hits
        if not seen_security:
            return None
        return seen_security, where, bool(seen_security & _PASSWORD_WORDS)

    @staticmethod
    def _updates(ctx: FileContext, call: ast.Call, stmt: ast.stmt) -> list[ast.expr]:
        """What is fed to `h.update(...)` when the hash object is stored as
        `h = hashlib.md5()` (or `h = hashes.Hash(hashes.MD5())`)."""
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            return []
        value = stmt.value
        if not (value is call or (isinstance(value, ast.Call) and call in value.args)):
            return []
        return fed_to_update(ctx, stmt.targets[0].id, call)

    def _report(self, ctx: FileContext, call: ast.Call, name: str, algorithm: str, words: set[str],
                where: str, is_password: bool) -> Finding:
        purpose = ", ".join(sorted(words))
        if is_password:
            description = ("Hash passwords with a key-derivation function: hashlib.scrypt(), "
                           "hashlib.pbkdf2_hmac('sha256', ...) with a random salt, argon2 or bcrypt.")
            replacement = None
            severity = Severity.HIGH
        else:
            description = ("Use SHA-256 or stronger; for signatures and tokens use HMAC-SHA-256 with a "
                           "secret key (hmac.new(key, msg, hashlib.sha256)).")
            replacement = self._stronger(ctx, call, name)
            severity = Severity.MEDIUM
        explanation = (
            f"{algorithm} is used here for a security purpose ({where} mentions {purpose}). "
            f"{algorithm} collisions are cheap to produce and its digests are fast to brute-force, "
            "so the value can be forged or reversed."
        )
        return self.finding(
            ctx, call,
            message=f"{algorithm} (`{name}`) is used for a security purpose ({purpose}).",
            explanation=explanation, fix=Fix(description, replacement),
            confidence=Confidence.HIGH if where == _HASHED else Confidence.MEDIUM,
            severity=severity,
        )

    @staticmethod
    def _stronger(ctx: FileContext, call: ast.Call, name: str) -> str | None:
        """The finding's lines calling SHA-256 instead, when the same module offers it."""
        func = call.func
        if name == "hashlib.new":
            algorithm = call.args[0] if call.args else None
            if isinstance(algorithm, ast.Constant):
                return ctx.replace_source(algorithm, '"sha256"', lines_of=call)
            return None
        if name.startswith("hashlib.") and isinstance(func, ast.Name):
            module = ctx.module_alias("hashlib")  # `from hashlib import md5`
            if module is None:
                return None
            return ctx.replace_source(func, f"{module}.sha256", lines_of=call)
        if isinstance(func, ast.Attribute) and func.attr in _STRONGER and (
                name.startswith("hashlib.") or name.startswith("cryptography.")):
            return ctx.replace_source(func, f"{ctx.source_of(func.value, 200)}.{_STRONGER[func.attr]}",
                                      lines_of=call)
        return None  # PyCryptodome's SHA256 lives in another module: no one-line rewrite


RULE = WeakHash()
