"""Password hashed with a fast hash instead of a key-derivation function.

## What it does
Finds a password hashed in one fast pass of SHA-2, SHA-3 or BLAKE2
(`hashlib.sha256`/`sha512`/`sha3_256`/`blake2b`..., `hashlib.new("sha256")`,
PyCryptodome's `SHA256.new`, `cryptography`'s `hashes.Hash(hashes.SHA256())`),
whether to store it, to compare it with a stored hash or to turn it into an
encryption key. Whether the value is a password is judged by names: the
hashed value (the call's arguments and what is later fed to the hash
object's `.update()`) is called `password`/`passwd`/`pwd`/`passphrase`
(high confidence), or the variable receiving the digest is
(`password_hash = ...`), or the enclosing function is (`hash_password(raw)`)
and the hashed value comes from its parameters (medium confidence).

Not reported: key-derivation functions (`hashlib.pbkdf2_hmac`,
`hashlib.scrypt`, bcrypt, argon2, passlib, `cryptography`'s KDFs) and a fast
hash whose result goes straight into one (the usual SHA-256 pre-hash before
bcrypt's 72-byte limit); HMAC and keyed BLAKE2 (`blake2b(key=...)`); hashing
inside a loop (manual key stretching); hashing both sides of a comparison
on the fly (`compare_digest(sha256(given), sha256(expected))` compares, it
stores nothing); challenge-response computations, whose input or function
involves a nonce or challenge (MySQL's scramble, HTTP digest: the protocol
fixes the hash); values named like a
password but that are something else (`password_hash`, `password_reset_token`,
`password_length`); and digests that become cache keys, file names or
checksums. MD5 and SHA-1 of a password are reported by `py.weak-hash` (with
high severity and the same advice), never twice.

## Why is this bad?
SHA-256 and its relatives are built to be fast: one GPU tries billions of
candidate passwords per second against a leaked hash, so most real passwords
fall to a dictionary attack within hours, salted or not. A password hash
needs a deliberately slow, salted key-derivation function whose cost can be
raised over time; the same holds for an encryption key made from a
passphrase (CWE-916).

## Example
```python
import hashlib


def store_password(user, password):
    user.password_hash = hashlib.sha256(password.encode()).hexdigest()
```

## Use instead
```python
import hashlib
import os


def store_password(user, password):
    salt = os.urandom(16)
    user.password_salt = salt
    user.password_hash = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
```

## References
- https://cwe.mitre.org/data/definitions/916.html
- https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
- https://docs.python.org/3/library/hashlib.html#key-derivation
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._hashing import fed_to_update, hash_algorithm
from secreview.rules._vocabulary import PASSWORD_WORDS as _PASSWORD_WORDS
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

_FAST = ("sha224", "sha256", "sha384", "sha512", "sha512_224", "sha512_256", "sha3_224", "sha3_256",
         "sha3_384", "sha3_512", "blake2b", "blake2s", "shake_128", "shake_256")


def _label(name: str) -> str:
    """`sha3_256` -> SHA3-256, `sha512_224` -> SHA-512/224, `blake2b` -> BLAKE2b."""
    name = name.lower().replace("-", "_")
    if name.startswith("blake2"):
        return "BLAKE2" + name[-1]
    if name.startswith("shake"):
        return "SHAKE" + name.split("_")[1]
    if name.startswith("sha3_"):
        return "SHA3-" + name.split("_")[1]
    bits = name[3:].split("_")
    return "SHA-" + "/".join(bits)


_FAST_CALLS: dict[str, str] = {f"hashlib.{n}": _label(n) for n in _FAST}
for _package in ("Crypto", "Cryptodome"):
    for _module in ("SHA224", "SHA256", "SHA384", "SHA512", "SHA3_224", "SHA3_256", "SHA3_384", "SHA3_512",
                    "BLAKE2b", "BLAKE2s"):
        _FAST_CALLS[f"{_package}.Hash.{_module}.new"] = _label(_module)
for _class in ("SHA224", "SHA256", "SHA384", "SHA512", "SHA512_224", "SHA512_256", "SHA3_224", "SHA3_256",
               "SHA3_384", "SHA3_512", "BLAKE2b", "BLAKE2s"):
    _FAST_CALLS[f"cryptography.hazmat.primitives.hashes.{_class}"] = _label(_class)
_FAST_NAMES = {n.replace("_", "-"): _label(n) for n in _FAST} | {n: _label(n) for n in _FAST} | \
    {"sha-256": "SHA-256", "sha-512": "SHA-512", "sha-384": "SHA-384", "sha-224": "SHA-224"}
_CRYPTOGRAPHY_HASH = "cryptography.hazmat.primitives.hashes.Hash"

# Words that make a password-named value something other than the password.
_NOT_THE_PASSWORD = frozenset({
    "hash", "hashed", "hashes", "digest", "token", "reset", "length", "len", "policy", "prompt", "label",
    "file", "path", "url", "field", "expiry", "expires", "changed", "age", "count", "attempts", "min", "max",
    "regex", "pattern", "form", "widget", "manager", "validator", "rules", "strength", "score", "hint",
    "mask", "masked", "question", "complexity", "history", "id", "uuid",
})
# Words in the digest's destination that say it is not stored as a credential.
_NOT_A_CREDENTIAL = frozenset({
    "cache", "cached", "etag", "fingerprint", "checksum", "checksums", "filename", "file", "path", "dedup",
    "dedupe", "shard", "bucket", "partition", "token", "reset", "url", "lock", "sort", "color", "colour",
})
# Challenge-response inputs: the protocol decides the hash, nothing is stored.
_PROTOCOL_WORDS = frozenset({"nonce", "cnonce", "challenge", "realm", "scramble", "created", "timestamp"})
# Function names about something other than hashing the password itself.
_OTHER_PURPOSE = frozenset({"reset", "token", "forgot", "link", "email", "mail", "otp", "random", "generate",
                            "generated", "temporary"})
_RANDOM_PREFIXES = ("os.urandom", "secrets.", "uuid.", "random.", "time.", "datetime.")
_KDF_PREFIXES = ("bcrypt.", "argon2.", "passlib.", "scrypt.", "nacl.pwhash.", "hashlib.pbkdf2_hmac",
                 "hashlib.scrypt", "cryptography.hazmat.primitives.kdf.", "Crypto.Protocol.KDF.",
                 "Cryptodome.Protocol.KDF.", "crypt.crypt")
_KDF_METHODS = frozenset({"hashpw", "checkpw", "pbkdf2_hmac", "derive", "kdf"})
_COMPARISONS = frozenset({"hmac.compare_digest", "secrets.compare_digest"})

_HASHED = "the hashed value"
_RECEIVER = "the variable receiving the digest"


class PasswordHash(Rule):
    id = "py.password-hash"
    name = "Password hashed without a key-derivation function"
    cwe = (916,)
    severity = Severity.HIGH
    bandit_ids = ()
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            algorithm = self._algorithm(ctx, call, name)
            if algorithm is None or ctx.keyword(call, "key") is not None:
                continue  # keyed BLAKE2 is a MAC
            anchor = self._hash_object(ctx, call, name)
            if anchor is None:
                continue
            evidence = self._evidence(ctx, call, anchor)
            if evidence is None:
                continue
            where, shown, node = evidence
            if self._not_storage(ctx, anchor):
                continue
            yield self._report(ctx, call, name, algorithm, where, shown, node)

    @staticmethod
    def _algorithm(ctx: FileContext, call: ast.Call, name: str) -> str | None:
        return hash_algorithm(ctx, call, name, _FAST_CALLS, _FAST_NAMES)

    @staticmethod
    def _hash_object(ctx: FileContext, call: ast.Call, name: str) -> ast.Call | None:
        """The call that makes the hash object: `hashes.SHA256()` counts only
        inside `hashes.Hash(...)`."""
        if not name.startswith("cryptography."):
            return call
        parent = ctx.parent(call)
        if isinstance(parent, ast.Call) and ctx.call_name(parent) == _CRYPTOGRAPHY_HASH and call in parent.args:
            return parent
        return None

    # ---------------------------------------------------------- evidence
    def _evidence(self, ctx: FileContext, call: ast.Call, anchor: ast.Call) -> tuple[str, str, ast.AST] | None:
        """(where the password shows, its name, the node) or None."""
        hashed: list[ast.expr] = []
        if anchor is call:
            hashed = [*call.args, *(k.value for k in call.keywords if k.arg not in ("usedforsecurity", "name",
                                                                                     "digest_size", "digest_bits"))]
            if ctx.call_name(call) == "hashlib.new" and call.args:
                hashed = hashed[1:]
        hashed += _updates(ctx, anchor)
        names: list[tuple[str, ast.AST]] = []
        for arg in hashed:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name) and node.id not in ctx.module_imports:
                    names.append((node.id, node))
                elif isinstance(node, ast.Attribute):
                    names.append((node.attr, node))
                elif isinstance(node, ast.Call) and (ctx.call_name(node) or "").startswith(_RANDOM_PREFIXES):
                    return None  # random or time-based input: a token, not a password
        if any(_words(text) & _PROTOCOL_WORDS for text, _ in names):
            return None
        func = ctx.enclosing_function(call)
        if func is not None and (_words(func.name) & _PROTOCOL_WORDS or any(
                _words(a.arg) & _PROTOCOL_WORDS for a in [*func.args.args, *func.args.kwonlyargs])):
            return None  # a step of a challenge-response computation (MySQL scramble, digest auth)
        receivers = _receivers(ctx, anchor)
        if any(_words(text) & _NOT_A_CREDENTIAL for text, _ in receivers):
            return None  # a cache key, file name, checksum...: not a stored credential
        for text, node in names:
            w = _words(text)
            if w & _PASSWORD_WORDS and not w & _NOT_THE_PASSWORD:
                return _HASHED, text, node
        for text, node in receivers:
            if _words(text) & _PASSWORD_WORDS:
                return _RECEIVER, text, node
        if func is None:
            return None
        w = _words(func.name)
        if not w & _PASSWORD_WORDS or w & _OTHER_PURPOSE:
            return None
        for text, node in names:
            if isinstance(node, ast.Name) and any(isinstance(b, ast.arg) for b in ctx.bindings_of(node)):
                return f"the function `{func.name}()`", text, node
        return None

    # ------------------------------------------------------- exclusions
    def _not_storage(self, ctx: FileContext, anchor: ast.Call) -> bool:
        """Stretched in a loop, fed to a KDF, or compared on the fly."""
        func = ctx.enclosing_function(anchor)
        for ancestor in ctx.ancestors(anchor):
            if ancestor is func:
                break
            if isinstance(ancestor, ast.While) or (
                    isinstance(ancestor, ast.For) and isinstance(ancestor.iter, ast.Call)
                    and ctx.call_name(ancestor.iter) == "range"):
                return True  # manual key stretching
        for ancestor in ctx.ancestors(anchor):
            if isinstance(ancestor, ast.Call) and _is_kdf(ctx, ancestor):
                return True  # pre-hash before bcrypt & co
            if isinstance(ancestor, ast.Call) and ctx.call_name(ancestor) in _COMPARISONS:
                return _both_hashed(ctx, ancestor.args)
            if isinstance(ancestor, ast.Compare):
                return _both_hashed(ctx, [ancestor.left, *ancestor.comparators])
            if isinstance(ancestor, ast.stmt):
                break
        holder = _holder(ctx, anchor)
        if holder is not None:
            scope = func or ctx.tree
            for node in ast.walk(scope):
                if isinstance(node, ast.Call) and _is_kdf(ctx, node) and any(
                        isinstance(sub, ast.Name) and sub.id == holder
                        for arg in [*node.args, *(k.value for k in node.keywords)] for sub in ast.walk(arg)):
                    return True
        return False

    # ------------------------------------------------------------ report
    def _report(self, ctx: FileContext, call: ast.Call, name: str, algorithm: str, where: str, shown: str,
                node: ast.AST) -> Finding:
        trace: list[TraceStep] = []
        if where == _HASHED and isinstance(node, ast.Name):
            origin = ctx.origin(node)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
        if where == _HASHED:
            evidence = f"`{shown}` is hashed"
        elif where == _RECEIVER:
            evidence = f"the digest is stored as `{shown}`"
        else:
            evidence = f"{where} hashes its parameter `{shown}`"
        return self.finding(
            ctx, call,
            message=f"A password is hashed with a single pass of {algorithm} (`{ctx.source_of(call.func)}`): "
                    f"{evidence}.",
            explanation=(f"{algorithm} is fast: a GPU tries billions of candidate passwords per second against "
                         "a leaked digest, so most real passwords are recovered by a dictionary attack, salt "
                         "or no salt. Password storage (and keys made from passphrases) needs a slow, salted "
                         "key-derivation function."),
            fix=Fix("Use a key-derivation function with a random per-password salt: hashlib.scrypt(), "
                    "hashlib.pbkdf2_hmac('sha256', password, salt, 600_000), argon2-cffi's PasswordHasher or "
                    "bcrypt; keep the salt and parameters beside the hash and re-hash old entries at the next "
                    "login."),
            confidence=Confidence.HIGH if where == _HASHED else Confidence.MEDIUM,
            trace=trace,
        )


def _updates(ctx: FileContext, anchor: ast.Call) -> list[ast.expr]:
    """What is fed to `h.update(...)` when the hash object is `h = <anchor>`."""
    holder = _holder(ctx, anchor)
    return [] if holder is None else fed_to_update(ctx, holder, anchor)


def _holder(ctx: FileContext, node: ast.AST) -> str | None:
    """`x` when the statement is `x = node` or `x = node.digest()`-like chains."""
    stmt = ctx.enclosing_statement(node)
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    current: ast.AST = node
    while current is not stmt.value:
        parent = ctx.parent(current)
        if not isinstance(parent, (ast.Attribute, ast.Call)) or (
                isinstance(parent, ast.Call) and current is not parent.func and current not in parent.args):
            return None
        current = parent
    return stmt.targets[0].id


def _receivers(ctx: FileContext, anchor: ast.Call) -> list[tuple[str, ast.AST]]:
    """Names the digest is stored under: assignment targets, dict keys, the
    keyword it is passed as."""
    stmt = ctx.enclosing_statement(anchor)
    out: list[tuple[str, ast.AST]] = []
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                out.append((node.id, node))
            elif isinstance(node, ast.Attribute):
                out.append((node.attr, node))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append((node.value, node))
    child: ast.AST = anchor
    for parent in ctx.ancestors(anchor):
        if isinstance(parent, ast.keyword) and parent.arg:
            out.append((parent.arg, parent))
        elif isinstance(parent, ast.Dict) and child in parent.values:
            key = parent.keys[parent.values.index(child)]  # type: ignore[arg-type]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                out.append((key.value, key))
        if isinstance(parent, ast.stmt):
            break
        child = parent
    return out


def _is_kdf(ctx: FileContext, call: ast.Call) -> bool:
    name = ctx.call_name(call) or ""
    if name.startswith(_KDF_PREFIXES):
        return True
    if isinstance(call.func, ast.Attribute):
        if call.func.attr in _KDF_METHODS:
            return True
        made_by = ctx.constructed_by(call.func.value)
        return bool(made_by and made_by.startswith(_KDF_PREFIXES))
    return False


def _both_hashed(ctx: FileContext, operands: list[ast.expr]) -> bool:
    """Every operand of a comparison is computed by a hash call right there."""
    if len(operands) < 2:
        return False
    for operand in operands:
        if not any(isinstance(n, ast.Call) and ((ctx.call_name(n) or "") in _FAST_CALLS
                                                 or (ctx.call_name(n) or "").startswith("hashlib."))
                   for n in ast.walk(operand)):
            return False
    return True


RULE = PasswordHash()
