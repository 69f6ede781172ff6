"""Broken or risky cipher, or ECB mode, used to encrypt data.

## What it does
Finds encryption built on a cipher that no longer protects data: DES, 3DES
(TripleDES), RC4 (ARC4), RC2 (ARC2), Blowfish, CAST5, IDEA and PyCrypto's
`XOR`, and any block cipher in ECB mode. It knows `cryptography`
(`algorithms.TripleDES(...)`, `modes.ECB()`, also from
`cryptography.hazmat.decrepit`), PyCryptodome and PyCrypto
(`Crypto.Cipher.DES.new`, `AES.new(key, AES.MODE_ECB)`, `ARC4.new`, PyCrypto's
`AES.new(key)` whose default mode is ECB, and the same under `Cryptodome`),
including a mode or algorithm held in a variable. It also reads OpenSSL
cipher strings given to `set_ciphers()`/`set_cipher_list()` (stdlib `ssl`,
pyOpenSSL) or to a `ciphers=` argument of `ssl`/`urllib3`/pyOpenSSL calls, and
reports the ones that explicitly enable RC4, DES, 3DES, RC2, NULL, EXPORT or
anonymous suites (unless the same string removes them with `!`/`-`). One
finding is made per cipher object: 3DES in ECB mode is one finding.

Not reported: AES in GCM, CBC, CTR, CFB, OFB, XTS or CCM mode, ChaCha20,
Camellia and SEED; AES in ECB mode inside a function whose name says it
builds another construction from single-block encryption (`_wrap_core`,
`cmac_subkeys`, `ctr_keystream`, `encrypt_block`: RFC 3394 key wrap, CMAC,
counter mode and key check values use ECB correctly, one block at a time);
a weak algorithm that is only named, not used to build a
cipher (`algorithms.TripleDES.block_size`, a list of supported names);
cipher strings built at run time or made only of family keywords (`HIGH`,
`DEFAULT`, `ALL:!aNULL`); and a weak cipher object that the code only uses to
decrypt when the code also says it is reading old data: the enclosing
function or the variable speaks of legacy/old/migration/compat data, or the
same function encrypts again with another cipher (a migration). Decryption
alone is still reported, with medium confidence: it means data somewhere is
stored or sent under the weak cipher, and the fix is to re-encrypt it.

## Why is this bad?
DES's 56-bit key is brute-forced in hours; RC4's keystream biases reveal
plaintext that is encrypted repeatedly (RFC 7465 bans it from TLS); 3DES,
Blowfish, CAST5, IDEA and RC2 have 64-bit blocks, so after a few dozen
gigabytes under one key colliding blocks leak plaintext (Sweet32), and NIST
withdrew 3DES for encryption after 2023. ECB encrypts equal plaintext blocks
to equal ciphertext blocks: the structure of the data shows through, and
blocks can be cut, reordered and replayed without the key (CWE-327).

## Example
```python
from Crypto.Cipher import AES


def encrypt_record(key, record):
    return AES.new(key, AES.MODE_ECB).encrypt(record)
```

## Use instead
Use an authenticated mode of AES (GCM) or ChaCha20-Poly1305 with a fresh
nonce per message, for example `cryptography`'s `AESGCM`:
```python
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def encrypt_record(key, record):
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, record, None)
```

## References
- https://cwe.mitre.org/data/definitions/327.html
- https://cryptography.io/en/latest/hazmat/decrepit/ciphers/
- https://cryptography.io/en/latest/hazmat/primitives/symmetric-encryption/#cryptography.hazmat.primitives.ciphers.modes.ECB
- https://sweet32.info/
- https://www.rfc-editor.org/rfc/rfc7465
- https://csrc.nist.gov/pubs/sp/800/131/a/r2/final
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

_SMALL_BLOCK = ("a 64-bit block cipher: after a few dozen gigabytes under one key, colliding "
                "blocks leak plaintext (Sweet32)")
# Cipher -> (name shown, why it is weak, severity).
_WEAKNESS = {
    "DES": ("DES", "its 56-bit key is brute-forced in hours", Severity.HIGH),
    "3DES": ("3DES", _SMALL_BLOCK + ", and NIST no longer allows it for encryption", Severity.MEDIUM),
    "RC4": ("RC4", "its keystream is biased, so repeatedly encrypted plaintext can be recovered", Severity.HIGH),
    "RC2": ("RC2", "it has a weak key schedule and 64-bit blocks", Severity.HIGH),
    "Blowfish": ("Blowfish", _SMALL_BLOCK, Severity.MEDIUM),
    "CAST5": ("CAST5", _SMALL_BLOCK, Severity.MEDIUM),
    "IDEA": ("IDEA", _SMALL_BLOCK, Severity.MEDIUM),
    "XOR": ("XOR", "repeating-key XOR is not encryption: frequency analysis undoes it", Severity.HIGH),
    "ECB": ("ECB mode", "it encrypts equal blocks to equal ciphertext, so the data's structure shows "
            "through and blocks can be cut, reordered and replayed", Severity.MEDIUM),
}

_CRYPTOGRAPHY_ALGORITHMS = ("cryptography.hazmat.primitives.ciphers.algorithms.",
                            "cryptography.hazmat.decrepit.ciphers.algorithms.")
_CRYPTOGRAPHY_WEAK = {"TripleDES": "3DES", "ARC4": "RC4", "RC2": "RC2", "Blowfish": "Blowfish",
                      "CAST5": "CAST5", "IDEA": "IDEA"}
_CRYPTOGRAPHY_ECB = "cryptography.hazmat.primitives.ciphers.modes.ECB"
_CRYPTOGRAPHY_CIPHER = frozenset({"cryptography.hazmat.primitives.ciphers.Cipher",
                                  "cryptography.hazmat.primitives.ciphers.base.Cipher"})

_PYCRYPTO_PACKAGES = ("Crypto.Cipher.", "Cryptodome.Cipher.")
_PYCRYPTO_WEAK = {"DES": "DES", "DES3": "3DES", "ARC4": "RC4", "ARC2": "RC2", "Blowfish": "Blowfish",
                  "CAST": "CAST5", "XOR": "XOR"}
# PyCrypto/PyCryptodome block ciphers whose `new()` takes a mode.
_PYCRYPTO_MODED = frozenset({"AES", "DES", "DES3", "ARC2", "Blowfish", "CAST"})
_PYCRYPTO_MODE_ECB = 1

_DECRYPT_METHODS = frozenset({"decryptor", "decrypt", "decrypt_and_verify"})
_ENCRYPT_METHODS = frozenset({"encryptor", "encrypt", "encrypt_and_digest"})
_CONSTRUCTION_WORDS = frozenset({"wrap", "unwrap", "keywrap", "cmac", "omac", "keystream", "ctr", "kcv", "siv",
                                 "xts", "ff1", "ff3", "fpe", "block", "subkey", "subkeys", "ghash"})
_NEUTRAL = frozenset({"block_size", "key_size", "name", "algorithm", "mode", "iv", "nonce", "IV"})
_LEGACY_WORDS = frozenset({"legacy", "old", "compat", "compatibility", "migrate", "migration", "migrated",
                           "deprecated", "upgrade", "reencrypt", "rekey", "previous", "v1"})

# Components of OpenSSL cipher-suite names and keywords that name a weak family.
_SUITE_COMPONENTS = {"RC4": "RC4", "3DES": "3DES", "CBC3": "3DES", "EDE3": "3DES", "RC2": "RC2",
                     "NULL": "NULL", "eNULL": "NULL", "EXP": "EXPORT", "EXPORT": "EXPORT",
                     "EXPORT40": "EXPORT", "EXPORT56": "EXPORT", "EXP1024": "EXPORT",
                     "aNULL": "anonymous", "ADH": "anonymous", "AECDH": "anonymous"}
_SUITE_WHY = {
    "RC4": "RC4 (biased keystream, banned from TLS by RFC 7465)",
    "3DES": "3DES (64-bit blocks: Sweet32)",
    "DES": "single DES (56-bit key)",
    "RC2": "RC2",
    "NULL": "NULL ciphers (no encryption at all)",
    "EXPORT": "EXPORT suites (40/56-bit keys, FREAK/Logjam)",
    "anonymous": "anonymous suites (no server authentication: any man in the middle is accepted)",
}
_CIPHER_STRING_MODULES = ("ssl.", "urllib3.", "OpenSSL.", "requests.")


# Every callee the checks below know starts with one of these.
_CIPHER_LIBRARIES = ("cryptography.", "Crypto.", "Cryptodome.")


@dataclass
class _Use:
    """One cipher object and the weak parts it is built from."""

    anchor: ast.AST  # the call that makes the cipher object
    parts: list[tuple[ast.AST, str, str]] = field(default_factory=list)  # (node, weakness key, how it is named)
    names: list[ast.Name] = field(default_factory=list)  # variables the weak values come through


class WeakCipher(Rule):
    id = "py.weak-cipher"
    name = "Broken or risky cipher or ECB mode"
    cwe = (327,)
    severity = Severity.MEDIUM
    bandit_ids = ("B304", "B305")
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        uses: dict[int, _Use] = {}
        for call, name in ctx.calls():
            for node, key, shown in self._weak_parts(ctx, call, name):
                anchor = self._cipher_object(ctx, node, call)
                use = uses.setdefault(id(anchor), _Use(anchor))
                use.parts.append((node, key, shown))
                mode = ctx.argument(call, 1, "mode") if key == "ECB" and name.endswith(".new") else None
                if isinstance(mode, ast.Name):
                    use.names.append(mode)
            yield from self._cipher_string(ctx, call, name)
        for use in sorted(uses.values(), key=lambda u: _position(u.parts[0][0])):
            finding = self._report(ctx, use)
            if finding is not None:
                yield finding

    # -------------------------------------------------------- what is weak
    def _weak_parts(self, ctx: FileContext, call: ast.Call, name: str) -> list[tuple[ast.AST, str, str]]:
        if not name.startswith(_CIPHER_LIBRARIES):
            return []  # the cheap test first: almost no call is a cipher
        shown = ctx.source_of(call.func)
        for prefix in _CRYPTOGRAPHY_ALGORITHMS:
            if name.startswith(prefix) and name[len(prefix):] in _CRYPTOGRAPHY_WEAK:
                return [(call, _CRYPTOGRAPHY_WEAK[name[len(prefix):]], f"`{shown}`")]
        if name == _CRYPTOGRAPHY_ECB:
            return [(call, "ECB", f"`{shown}()`")]
        for prefix in _PYCRYPTO_PACKAGES:
            if not (name.startswith(prefix) and name.endswith(".new")):
                continue
            module = name[len(prefix):-len(".new")]
            parts: list[tuple[ast.AST, str, str]] = []
            if module in _PYCRYPTO_WEAK:
                parts.append((call, _PYCRYPTO_WEAK[module], f"`{shown}`"))
            if module in _PYCRYPTO_MODED:
                mode = ctx.argument(call, 1, "mode")
                if mode is not None and self._is_ecb_mode(ctx, mode):
                    parts.append((call, "ECB", f"`{ctx.source_of(mode)}`"))
                elif mode is None and prefix == "Crypto.Cipher." and self._no_mode_given(call):
                    parts.append((call, "ECB", f"`{shown}()` without a mode, which PyCrypto runs in ECB"))
            return parts
        return []

    @staticmethod
    def _is_ecb_mode(ctx: FileContext, mode: ast.expr) -> bool:
        for value in ctx.resolved_values(mode):
            qualified = ctx.qualified_name(value) or ""
            if qualified.endswith(".MODE_ECB") or qualified == "MODE_ECB":
                continue
            if isinstance(value, ast.Constant) and value.value == _PYCRYPTO_MODE_ECB and type(value.value) is int:
                continue
            return False
        return True

    @staticmethod
    def _no_mode_given(call: ast.Call) -> bool:
        """`AES.new(key)`: one positional argument and no keywords that could
        carry a mode."""
        return (len(call.args) == 1 and not isinstance(call.args[0], ast.Starred)
                and all(kw.arg is not None and kw.arg != "mode" for kw in call.keywords))

    # ------------------------------------------------- the cipher object
    @staticmethod
    def _cipher_object(ctx: FileContext, node: ast.AST, call: ast.Call) -> ast.AST:
        """The call that makes the cipher object a weak part belongs to: the
        enclosing `Cipher(...)` for `cryptography` parts (directly, or through
        a variable), the `new()` call itself for PyCryptodome."""
        parent = ctx.parent(node)
        if isinstance(parent, ast.keyword):
            parent = ctx.parent(parent)
        if isinstance(parent, ast.Call) and ctx.call_name(parent) in _CRYPTOGRAPHY_CIPHER:
            return parent
        holder = _assigned_name(ctx, node)
        if holder is not None:
            scope = ctx.enclosing_function(node) or ctx.tree
            for other in ast.walk(scope):
                if (isinstance(other, ast.Call) and ctx.call_name(other) in _CRYPTOGRAPHY_CIPHER
                        and any(isinstance(a, ast.Name) and a.id == holder
                                for a in [*other.args, *(k.value for k in other.keywords)])):
                    return other
        return call

    @staticmethod
    def _object_methods(ctx: FileContext, anchor: ast.AST) -> set[str] | None:
        """The methods called on the cipher object, or None when the object
        leaves the code we can see (returned, stored, passed on)."""
        parent = ctx.parent(anchor)
        if isinstance(parent, ast.Attribute):
            return {parent.attr}
        holder = _assigned_name(ctx, anchor)
        if holder is None:
            return None
        scope = ctx.enclosing_function(anchor) or ctx.tree
        methods: set[str] = set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Name) and node.id == holder and isinstance(node.ctx, ast.Load):
                use = ctx.parent(node)
                if not isinstance(use, ast.Attribute):
                    return None
                methods.add(use.attr)
        return methods or None

    def _decrypt_only(self, ctx: FileContext, use: _Use) -> bool:
        """The cipher object is only ever used to decrypt."""
        methods = self._object_methods(ctx, use.anchor)
        return bool(methods and methods & _DECRYPT_METHODS and methods <= _DECRYPT_METHODS | _NEUTRAL)

    @staticmethod
    def _says_data_is_old(ctx: FileContext, use: _Use) -> bool:
        """The function, class or variable names speak of old data, or the
        same function encrypts again (under another cipher): a migration."""
        names: list[str] = []
        func = ctx.enclosing_function(use.anchor)
        if func is not None:
            names.append(func.name)
        klass = next((a for a in ctx.ancestors(use.anchor) if isinstance(a, ast.ClassDef)), None)
        if klass is not None:
            names.append(klass.name)
        holder = _assigned_name(ctx, use.anchor)
        if holder:
            names.append(holder)
        if any(_words(n) & _LEGACY_WORDS for n in names):
            return True
        if func is not None:
            for node in ast.walk(func):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in _ENCRYPT_METHODS):
                    return True
        return False

    @staticmethod
    def _builds_a_mode(ctx: FileContext, use: _Use) -> bool:
        """The enclosing function's name says it implements a construction on
        top of single-block encryption (RFC 3394 key wrap, CMAC, a counter
        keystream, a key check value), where ECB is the right primitive."""
        func = ctx.enclosing_function(use.anchor)
        return func is not None and bool(_words(func.name) & _CONSTRUCTION_WORDS)

    # ------------------------------------------------------------ report
    def _report(self, ctx: FileContext, use: _Use) -> Finding | None:
        decrypt_only = self._decrypt_only(ctx, use)
        if decrypt_only and self._says_data_is_old(ctx, use):
            return None  # reading old data in order to move it off the weak cipher
        if all(key == "ECB" for _, key, _ in use.parts) and self._builds_a_mode(ctx, use):
            return None  # one-block encryption as a building block (key wrap, CMAC, CTR...)
        keys: list[str] = []
        for _, key, _ in use.parts:
            if key not in keys:
                keys.append(key)
        algorithms = [k for k in keys if k != "ECB"]
        ecb = "ECB" in keys
        label = " and ".join(_WEAKNESS[k][0] for k in algorithms)
        if ecb:
            label = f"{label} in ECB mode" if label else "ECB mode"
        shown = ", ".join(dict.fromkeys(s for _, _, s in use.parts))
        reasons = "; ".join(f"{_WEAKNESS[k][0]}: {_WEAKNESS[k][1]}" for k in keys)
        severity = max(_WEAKNESS[k][2] for k in keys)
        node = min((n for n, _, _ in use.parts), key=_position)
        trace: list[TraceStep] = []
        if use.anchor is not node and getattr(use.anchor, "lineno", None) != getattr(node, "lineno", None):
            trace.append(TraceStep(ctx.path, use.anchor.lineno, "the cipher object is made here"))  # type: ignore[attr-defined]
        for name in use.names:
            origin = ctx.origin(name)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
        if decrypt_only:
            message = f"Data is decrypted with {label} ({shown}): it is stored or sent under a weak cipher."
            explanation = (f"{reasons}. This code only decrypts, so the data it reads was encrypted with "
                           f"{label} somewhere; whoever can read that ciphertext can attack it.")
            description = ("Re-encrypt the stored data with AES-GCM (cryptography's AESGCM) or "
                           "ChaCha20-Poly1305, and keep this decryption only for a one-off migration "
                           "(say so in the function's name).")
            confidence = Confidence.MEDIUM
        else:
            message = f"{label[0].upper() + label[1:]} is used for encryption ({shown})."
            explanation = (f"{reasons}. Whoever obtains data encrypted this way can learn some or all of "
                           "it without the key.")
            description = ("Use AES in GCM mode (cryptography's AESGCM, or PyCryptodome's "
                           "AES.new(key, AES.MODE_GCM)) or ChaCha20-Poly1305, with a fresh random "
                           "nonce for every message.")
            confidence = Confidence.HIGH
        return self.finding(ctx, node, message=message, explanation=explanation, fix=Fix(description),
                            confidence=confidence, severity=severity, trace=trace)

    # ---------------------------------------------------- cipher strings
    def _cipher_string(self, ctx: FileContext, call: ast.Call, name: str) -> Iterator[Finding]:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        value: ast.expr | None = None
        if method in ("set_ciphers", "set_cipher_list") and call.args:
            value = call.args[0]
        elif name.startswith(_CIPHER_STRING_MODULES) or method == "create_urllib3_context":
            value = ctx.keyword(call, "ciphers")
        if value is None:
            return
        texts = _literal_strings(ctx, value)
        if not texts:
            return
        families: list[str] = []
        enabling: list[str] = []
        for text in texts:
            for family, token in _weak_suites(text):
                if family not in families:
                    families.append(family)
                    enabling.append(token)
        if not families:
            return
        why = "; ".join(_SUITE_WHY[f] for f in families)
        severity = Severity.HIGH if set(families) & {"RC4", "DES", "NULL", "EXPORT", "anonymous", "RC2"} \
            else Severity.MEDIUM
        tokens = ", ".join(f"`{t}`" for t in enabling)
        trace: list[TraceStep] = []
        if isinstance(value, ast.Name):
            origin = ctx.origin(value)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
        yield self.finding(
            ctx, call,
            message=f"The TLS cipher list passed to `{ctx.source_of(call.func)}` enables weak suites ({tokens}).",
            explanation=(f"The string explicitly turns on {why}. A client or server that offers these can be "
                         "pushed onto them by an attacker on the network path, who can then read or alter "
                         "the traffic."),
            fix=Fix("Drop the weak suites (or add `!RC4:!3DES:!DES:!eNULL:!aNULL:!EXPORT`), or leave the "
                    "cipher list at the library's secure default."),
            confidence=Confidence.HIGH, severity=severity, trace=trace)


def _suite_families(token: str) -> set[str]:
    """The weak families an OpenSSL cipher-string token names:
    `ECDHE-RSA-DES-CBC3-SHA` -> {3DES}, `EDH-RSA-DES-CBC-SHA` -> {DES},
    `kRSA+RC4` -> {RC4}, `HIGH` -> {}."""
    families: set[str] = set()
    for item in token.split("+"):
        components = item.split("-")
        for component in components:
            if component in _SUITE_COMPONENTS:
                families.add(_SUITE_COMPONENTS[component])
        if "DES" in components and not families & {"3DES"}:
            families.add("DES")
    return families


def _weak_suites(text: str) -> list[tuple[str, str]]:
    """(family, token) for each weak suite family a cipher string enables
    and does not also remove (`!RC4`, `-3DES`)."""
    tokens = [t for t in re.split(r"[:,\s]+", text.strip()) if t]
    removed_tokens = {t[1:] for t in tokens if t[0] in "!-"}
    removed = set().union(*(_suite_families(t) for t in removed_tokens)) if removed_tokens else set()
    found: list[tuple[str, str]] = []
    for token in tokens:
        if token[0] in "!-@" or token.lstrip("+") in removed_tokens:
            continue
        for family in sorted(_suite_families(token.lstrip("+")) - removed):
            found.append((family, token))
    return found


def _literal_strings(ctx: FileContext, value: ast.expr) -> list[str]:
    out: list[str] = []
    for item in ctx.resolved_values(value):
        if isinstance(item, ast.Constant) and isinstance(item.value, (str, bytes)):
            out.append(item.value.decode("latin-1") if isinstance(item.value, bytes) else item.value)
        elif isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            left, right = _literal_strings(ctx, item.left), _literal_strings(ctx, item.right)
            if len(left) == 1 and len(right) == 1:
                out.append(left[0] + right[0])
            else:
                return []
        else:
            return []
    return out


def _assigned_name(ctx: FileContext, node: ast.AST) -> str | None:
    """`x` when `node` is the whole value of `x = node` (or `with node as x`)."""
    parent = ctx.parent(node)
    if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 \
            and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    if isinstance(parent, ast.AnnAssign) and parent.value is node and isinstance(parent.target, ast.Name):
        return parent.target.id
    return None


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


RULE = WeakCipher()
