"""RSA, DSA or Diffie-Hellman key shorter than 2048 bits, or an elliptic curve under 224 bits.

## What it does
Finds key generation with a size that no longer resists factoring or
discrete-logarithm attacks: RSA, DSA and Diffie-Hellman keys or parameters
under 2048 bits, and elliptic curves under 224 bits (`SECP192R1`,
`SECT163K1`, `SECT163R2`, PyCryptodome's `"P-192"`). It knows `cryptography`
(`rsa.generate_private_key(key_size=...)`, `dsa.generate_private_key`,
`dsa.generate_parameters`, `dh.generate_parameters`,
`ec.generate_private_key(ec.SECP192R1())`, `ec.derive_private_key`),
PyCryptodome and PyCrypto (`RSA.generate(1024)`, `DSA.generate`,
`ECC.generate(curve=...)`, also under `Cryptodome`), paramiko
(`RSAKey.generate(1024)`, `DSSKey.generate()`, whose default and whose SSH
algorithm are 1024-bit DSA, `ECDSAKey.generate(curve=...)`) and pyOpenSSL
(`PKey().generate_key(crypto.TYPE_RSA, 1024)`). The size is read through
constants (`KEY_BITS = 1024` in the module or the class, simple arithmetic);
a parameter's default value is used, with medium confidence, when the
function passes the parameter straight to the key generator.

Not reported: sizes the program does not fix (a configuration option, a
parameter without a weak default, `1024 if fast else 4096`), keys that are
loaded rather than generated (their size was chosen elsewhere), and curves
of 224 bits or more. Test code is exempt: tests often make small keys for
speed.

## Why is this bad?
1024-bit RSA and DSA, and 1024-bit Diffie-Hellman groups, are within reach of
well-funded attackers (the Logjam work estimated a nation-state can break a
common 1024-bit group), and 512-bit keys are factored in hours on rented
machines. NIST SP 800-131A disallows RSA/DSA/DH under 2048 bits and curves
under 224 bits for new keys. A key that can be broken lets an attacker
forge signatures, impersonate the key's owner or decrypt recorded traffic
(CWE-326).

## Example
```python
from cryptography.hazmat.primitives.asymmetric import rsa

key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
```

## Use instead
```python
from cryptography.hazmat.primitives.asymmetric import rsa

key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
```

## References
- https://cwe.mitre.org/data/definitions/326.html
- https://csrc.nist.gov/pubs/sp/800/131/a/r2/final
- https://cryptography.io/en/latest/hazmat/primitives/asymmetric/rsa/#generation
- https://weakdh.org/
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule

_MIN_BITS = 2048
_BROKEN_BITS = 1024  # under this, keys are broken cheaply: high severity
_ASYM = "cryptography.hazmat.primitives.asymmetric."


@dataclass(frozen=True)
class _Generator:
    kind: str  # "RSA", "DSA", "DH"
    position: int
    keyword: str
    default: int | None = None  # the size used when the argument is left out
    fixed_to: int | None = None  # a size to offer as a mechanical fix (None: no rewrite)


_SIZED = {
    _ASYM + "rsa.generate_private_key": _Generator("RSA", 1, "key_size", fixed_to=3072),
    _ASYM + "dsa.generate_private_key": _Generator("DSA", 0, "key_size", fixed_to=2048),
    _ASYM + "dsa.generate_parameters": _Generator("DSA", 0, "key_size", fixed_to=2048),
    _ASYM + "dh.generate_parameters": _Generator("Diffie-Hellman", 1, "key_size", fixed_to=2048),
    "paramiko.RSAKey.generate": _Generator("RSA", 0, "bits", fixed_to=3072),
    "paramiko.rsakey.RSAKey.generate": _Generator("RSA", 0, "bits", fixed_to=3072),
    # ssh-dss keys are 1024-bit by definition: no size makes them usable, so no rewrite.
    "paramiko.DSSKey.generate": _Generator("DSA", 0, "bits", default=1024),
    "paramiko.dsskey.DSSKey.generate": _Generator("DSA", 0, "bits", default=1024),
}
for _package in ("Crypto", "Cryptodome"):
    _SIZED[f"{_package}.PublicKey.RSA.generate"] = _Generator("RSA", 0, "bits", fixed_to=3072)
    _SIZED[f"{_package}.PublicKey.DSA.generate"] = _Generator("DSA", 0, "bits", fixed_to=2048)

# Curve argument of EC key generators: (position, keyword).
_CURVED = {
    _ASYM + "ec.generate_private_key": (0, "curve"),
    _ASYM + "ec.derive_private_key": (1, "curve"),
    "paramiko.ECDSAKey.generate": (0, "curve"),
    "paramiko.ecdsakey.ECDSAKey.generate": (0, "curve"),
    "Crypto.PublicKey.ECC.generate": (-1, "curve"),
    "Cryptodome.PublicKey.ECC.generate": (-1, "curve"),
}
_WEAK_CURVES = {"SECP192R1": 192, "SECT163K1": 163, "SECT163R2": 163}
_STRONG_CURVE = "SECP256R1"
_WEAK_CURVE_NAMES = {"p192": 192, "p-192": 192, "nist p-192": 192, "secp192r1": 192, "prime192v1": 192}
_PYOPENSSL_TYPES = {"OpenSSL.crypto.TYPE_RSA": "RSA", "OpenSSL.crypto.TYPE_DSA": "DSA"}

_IMPACT = {
    "RSA": "forge signatures made with the key, impersonate its owner or decrypt what was encrypted for it",
    "DSA": "forge signatures made with the key and impersonate its owner",
    "Diffie-Hellman": "compute the shared secret of key exchanges made with these parameters and decrypt "
                      "the traffic they protect",
}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.FloorDiv: operator.floordiv, ast.LShift: operator.lshift, ast.Pow: operator.pow}


@dataclass(frozen=True)
class _Size:
    bits: int
    trace: tuple[TraceStep, ...] = ()
    from_default: bool = False  # a parameter's default value
    literal: ast.expr | None = None  # the literal in the call, when the size is written there


class WeakKey(Rule):
    id = "py.weak-key"
    name = "Key too short (RSA/DSA/DH under 2048 bits, curve under 224 bits)"
    cwe = (326,)
    severity = Severity.MEDIUM
    bandit_ids = ("B505",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name in _SIZED:
                yield from self._sized(ctx, call, name, _SIZED[name])
            elif name in _CURVED:
                yield from self._curved(ctx, call, name, *_CURVED[name])
            elif isinstance(call.func, ast.Attribute) and call.func.attr == "generate_key" and call.args:
                kind = _PYOPENSSL_TYPES.get(ctx.qualified_name(call.args[0]) or "")
                if kind is not None:
                    yield from self._sized(ctx, call, name, _Generator(kind, 1, "bits", fixed_to=3072))

    # --------------------------------------------------------------- sizes
    def _sized(self, ctx: FileContext, call: ast.Call, name: str, gen: _Generator) -> Iterator[Finding]:
        arg = ctx.argument(call, gen.position, gen.keyword)
        size: _Size | None
        if arg is None:
            if gen.default is None or _has_unpacking(call):
                return
            size = _Size(gen.default)
        else:
            size = _weak_size(ctx, arg)
            if size is None:
                return
        if size.bits >= _MIN_BITS:
            return
        shown = ctx.source_of(call.func)
        what = (f"{size.bits}-bit {gen.kind} parameters" if gen.kind == "Diffie-Hellman"
                else f"a {size.bits}-bit {gen.kind} key")
        if arg is None:
            message = f"`{shown}()` makes {what} (its default size)."
        elif size.from_default:
            message = f"`{shown}` makes {what} unless the caller passes a larger `{ctx.source_of(arg)}`."
        else:
            message = f"`{shown}` makes {what}."
        if gen.kind == "DSA" and name.startswith("paramiko."):
            description = ("Use an Ed25519 or ECDSA key (paramiko.Ed25519Key, paramiko.ECDSAKey.generate()) "
                           "or RSA of 3072 bits: ssh-dss keys are fixed at 1024 bits and OpenSSH no longer "
                           "accepts them.")
        else:
            description = ("Use at least 2048 bits (3072 for keys that must stay safe beyond 2030), or an "
                           "elliptic-curve key (P-256, Ed25519).")
        replacement = None
        if size.literal is not None and gen.fixed_to is not None:
            replacement = ctx.replace_source(size.literal, str(gen.fixed_to), lines_of=call)
        explanation = (
            f"{size.bits}-bit {gen.kind} "
            + ("is broken cheaply (512-bit keys are factored in hours on rented machines)"
               if size.bits < _BROKEN_BITS else
               "is within reach of well-funded attackers and is disallowed by NIST SP 800-131A")
            + f": whoever breaks it can {_IMPACT[gen.kind]}."
        )
        if size.from_default:
            explanation = (f"The size comes from a parameter's default value. {explanation}")
        yield self.finding(
            ctx, call, message=message, explanation=explanation, fix=Fix(description, replacement),
            confidence=Confidence.MEDIUM if size.from_default else Confidence.HIGH,
            severity=Severity.HIGH if size.bits < _BROKEN_BITS else Severity.MEDIUM,
            trace=list(size.trace),
        )

    # -------------------------------------------------------------- curves
    def _curved(self, ctx: FileContext, call: ast.Call, name: str, position: int,
                keyword: str) -> Iterator[Finding]:
        arg = ctx.argument(call, position, keyword) if position >= 0 else ctx.keyword(call, keyword)
        if arg is None:
            return
        trace: list[TraceStep] = []
        if isinstance(arg, ast.Name):
            origin = ctx.origin(arg)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
        curves = [_curve(ctx, value) for value in ctx.resolved_values(arg)]
        if not curves or any(c is None for c in curves):
            return
        curve_name, bits, node = curves[0]  # type: ignore[misc]
        replacement = None
        if isinstance(node, ast.Attribute) and len(curves) == 1 and not trace:
            replacement = ctx.replace_source(node, ctx.source_of(node, 200).replace(curve_name, _STRONG_CURVE),
                                             lines_of=call)
        elif node is None and len(curves) == 1 and isinstance(arg, ast.Constant):
            replacement = ctx.replace_source(arg, '"P-256"', lines_of=call)
        yield self.finding(
            ctx, call,
            message=f"`{ctx.source_of(call.func)}` makes a key on the {bits}-bit curve {curve_name}.",
            explanation=(f"{curve_name} gives about {bits // 2} bits of security, under the 112 bits NIST "
                         "SP 800-131A requires: a well-funded attacker can recover the private key and forge "
                         "its signatures or decrypt what it protects."),
            fix=Fix("Use P-256 (SECP256R1) or stronger, or Ed25519.", replacement),
            confidence=Confidence.HIGH, trace=trace,
        )


def _curve(ctx: FileContext, value: ast.expr) -> tuple[str, int, ast.expr | None] | None:
    """(curve name, bits, node naming the curve class) for a weak curve."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        bits = _WEAK_CURVE_NAMES.get(value.value.strip().lower())
        return (value.value, bits, None) if bits else None
    target = value.func if isinstance(value, ast.Call) else value
    qualified = ctx.qualified_name(target) or ""
    head, _, curve = qualified.rpartition(".")
    if head == _ASYM + "ec" and curve in _WEAK_CURVES:
        return curve, _WEAK_CURVES[curve], target
    return None


def _weak_size(ctx: FileContext, arg: ast.expr) -> _Size | None:
    """The one size `arg` stands for, when the program text fixes it."""
    sizes = _sizes(ctx, arg, 0)
    if not sizes:
        return None
    if len({s.bits for s in sizes}) != 1:
        # Several possible sizes: report only when every one is weak, naming the largest.
        if any(s.bits >= _MIN_BITS for s in sizes):
            return None
        return max(sizes, key=lambda s: s.bits)
    size = sizes[0]
    if isinstance(arg, ast.Constant):
        return _Size(size.bits, literal=arg)
    return size


def _sizes(ctx: FileContext, expr: ast.expr, depth: int) -> list[_Size] | None:
    if depth > 8:
        return None
    if isinstance(expr, ast.Constant):
        number = expr.value
        return [_Size(number)] if type(number) is int else None
    if isinstance(expr, ast.BinOp) and type(expr.op) in _OPERATORS:
        left, right = _sizes(ctx, expr.left, depth + 1), _sizes(ctx, expr.right, depth + 1)
        if not left or not right or len(left) != 1 or len(right) != 1:
            return None
        try:
            bits = _OPERATORS[type(expr.op)](left[0].bits, right[0].bits)
        except (ArithmeticError, ValueError):
            return None
        if type(bits) is not int or bits > 1 << 20:
            return None
        return [_Size(bits, left[0].trace + right[0].trace, left[0].from_default or right[0].from_default)]
    if isinstance(expr, ast.IfExp):
        body, orelse = _sizes(ctx, expr.body, depth + 1), _sizes(ctx, expr.orelse, depth + 1)
        return body + orelse if body and orelse else None
    if isinstance(expr, ast.Name):
        values = ctx.assigned_values(expr)
        origin = ctx.origin(expr)
        step = (TraceStep(ctx.path, origin.line, origin.note),)
        if values is None:
            default = _parameter_default(ctx, expr)
            if default is None:
                return None
            found = _sizes(ctx, default, depth + 1)
            note = f"`{expr.id}` defaults to `{ctx.source_of(default)}`"
            return [_Size(s.bits, (TraceStep(ctx.path, default.lineno, note),) + s.trace, True)
                    for s in found] if found else None
        out: list[_Size] = []
        for value in values:
            found = _sizes(ctx, value, depth + 1)
            if not found:
                return None
            out.extend(_Size(s.bits, step + s.trace, s.from_default) for s in found)
        return out
    if isinstance(expr, ast.Attribute):
        constant = _class_constant(ctx, expr)
        if constant is None:
            return None
        found = _sizes(ctx, constant, depth + 1)
        note = f"`{ctx.source_of(expr)}` is set to `{ctx.source_of(constant)}` in the class"
        return [_Size(s.bits, (TraceStep(ctx.path, constant.lineno, note),) + s.trace, s.from_default)
                for s in found] if found else None
    return None


def _parameter_default(ctx: FileContext, name: ast.Name) -> ast.expr | None:
    """The default value of the parameter `name` refers to, when the
    parameter is its only binding."""
    found = ctx.bindings_of(name)
    if len(found) != 1 or not isinstance(found[0], ast.arg):
        return None
    param = found[0]
    arguments = ctx.parent(param)
    func = ctx.parent(arguments) if isinstance(arguments, ast.arguments) else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return None
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    if param in positional:
        index = positional.index(param) - (len(positional) - len(args.defaults))
        return args.defaults[index] if index >= 0 else None
    if param in args.kwonlyargs:
        return args.kw_defaults[args.kwonlyargs.index(param)]
    return None


def _class_constant(ctx: FileContext, expr: ast.Attribute) -> ast.expr | None:
    """`self.BITS` / `cls.BITS` / `Klass.BITS` set once in the class body and
    never assigned through an instance."""
    if not isinstance(expr.value, ast.Name):
        return None
    klass: ast.ClassDef | None = None
    if expr.value.id in ("self", "cls"):
        klass = next((a for a in ctx.ancestors(expr) if isinstance(a, ast.ClassDef)), None)
    else:
        classes = [c for c in ctx.nodes(ast.ClassDef) if c.name == expr.value.id]  # type: ignore[attr-defined]
        klass = classes[0] if len(classes) == 1 else None  # type: ignore[assignment]
    if klass is None:
        return None
    values = [stmt.value for stmt in klass.body if isinstance(stmt, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == expr.attr for t in stmt.targets)]
    if len(values) != 1:
        return None
    for node in ast.walk(klass):
        if isinstance(node, ast.Attribute) and node.attr == expr.attr and isinstance(node.ctx, ast.Store):
            return None
    return values[0]


def _has_unpacking(call: ast.Call) -> bool:
    return any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)


RULE = WeakKey()
