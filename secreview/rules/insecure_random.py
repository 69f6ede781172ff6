"""A predictable random generator used to make a secret.

## What it does
Finds values made with the `random` module (`random.random`, `randint`,
`randrange`, `choice`, `choices`, `sample`, `getrandbits`, `shuffle`,
`uniform`, `randbytes`, and the same methods of `random.Random()` objects) or
with numpy's generators (`numpy.random.*`, `RandomState`, `default_rng`) that
end up as a secret. It judges by where the value goes: the variable or
attribute receiving it, the dict key or keyword argument it is stored under,
the setter it is passed to (`user.set_password(...)`), a cipher or MAC it keys
(`AES.new(key, ...)`, `hmac.new(key, ...)`, `Fernet(key)`), or the function
that returns it (`def make_token(): return ''.join(random.choice(...) ...)`,
reported with medium confidence). It follows the value through string
building, formatting, hashing and encoding, a few local assignments, and the
calls of a helper defined in the same file, and reports the `random` call,
with a rewrite to `secrets.choice` or `random.SystemRandom()` where one line
can be changed safely.

Not reported: `random` whose value goes anywhere else (jitter, back-off and
retry delays, sampling, shuffling a server list, load balancing, simulations,
request ids for logs, picking a port or host); numbers that configure a
secret rather than being one (`password_length`, `token_count`, `nonce_size`,
`session_timeout`, `key_index`); `random.choice(keys)` and other single picks
of an existing item from a collection, which choose among values rather than
make one (picks from an alphabet or a `range`, or repeated picks joined into
a string, do make one); a bare `key` that is text or a number (a dict, cache
or storage key) rather than bytes; a bare number called `token`, `nonce`,
`salt`, `secret` or `session_id` (MIME boundaries, protocol session numbers,
proof-of-work and request-signing nonces, a guessing game's secret number),
while `reset_token`, `otp` or `pin` are secrets whatever their type; values
passed to functions that take a secret's settings (`make_token(16)`);
`random.SystemRandom`, `secrets` and `os.urandom`, which are cryptographic.
Test code is exempt: predictable test data is the point there. Predictable
salts are reported with low severity.

## Why is this bad?
`random` is a Mersenne Twister and numpy's generators are MT19937/PCG64:
fast, statistically good, and not cryptographic (CWE-338, a case of CWE-330).
From 624 of its 32-bit outputs (fewer with a solver), for instance tokens an
attacker requests for their own account, the generator's whole state can be rebuilt, and every value it made
before and after computed: the next user's reset token, session id or
one-time code can be predicted instead of guessed.

## Example
```python
import random
import string

def make_reset_token():
    alphabet = string.ascii_letters + string.digits
    reset_token = "".join(random.choice(alphabet) for _ in range(32))
    return reset_token
```

## Use instead
Use the `secrets` module (or `random.SystemRandom()`), which draws from the
operating system's cryptographic generator:
```python
import secrets

def make_reset_token():
    reset_token = secrets.token_urlsafe(32)
    return reset_token
```

## References
- https://cwe.mitre.org/data/definitions/338.html
- https://cwe.mitre.org/data/definitions/330.html
- https://docs.python.org/3/library/random.html
- https://docs.python.org/3/library/secrets.html
- https://peps.python.org/pep-0506/
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

# ------------------------------------------------------------- generators
_RANDOM_FUNCTIONS = frozenset({
    "random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "shuffle",
    "uniform", "randbytes",
})
_NUMPY_FUNCTIONS = frozenset({
    "rand", "randint", "random", "random_sample", "ranf", "sample", "bytes", "choice",
    "permutation", "shuffle", "random_integers", "integers", "uniform",
})
# Constructors of non-cryptographic generator objects -> family.
_GENERATORS = {
    "random.Random": "random",
    "numpy.random.RandomState": "numpy", "numpy.random.default_rng": "numpy",
    "numpy.random.Generator": "numpy", "numpy.random.mtrand.RandomState": "numpy",
}
# Methods that pick existing items out of a population (argument 0).
_PICKS = frozenset({"choice", "choices", "sample", "shuffle", "permutation"})
# Methods whose result is raw bits.
_BITS = frozenset({"getrandbits", "randbytes", "bytes"})

# ------------------------------------------------------------- vocabulary
# A destination named with one of these is a secret.
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "passcode", "secret", "token", "nonce", "cnonce",
    "salt", "otp", "totp", "hotp", "csrf", "xsrf", "apikey", "sessionid", "sessid", "sessionkey",
    "pin", "challenge", "credential", "credentials", "privkey", "secretkey", "authkey",
    # run-together names
    "csrftoken", "xsrftoken", "authtoken", "accesstoken", "apitoken", "resettoken", "sessiontoken",
    "jsessionid", "phpsessid", "newpassword", "onetimepassword", "pincode", "otpcode", "resetcode",
    "verificationcode",
})
# `key` is a secret only with one of these beside it (or when the value is raw bytes).
_KEY_QUALIFIERS = frozenset({
    "api", "secret", "private", "priv", "encryption", "encrypt", "crypt", "crypto", "cipher", "aes",
    "hmac", "signing", "sign", "session", "access", "auth", "master", "license", "licence",
    "activation", "psk", "shared", "jwt", "fernet",
})
# `code` is a secret only with one of these beside it.
_CODE_QUALIFIERS = frozenset({
    "reset", "verification", "verify", "confirm", "confirmation", "activation", "activate", "otp",
    "auth", "authorization", "authorisation", "sms", "login", "mfa", "twofa", "security", "access",
    "invite", "invitation", "recovery", "magic", "pairing", "unlock", "onetime", "one", "backup",
})
_MARKER_WORDS = frozenset({"token", "nonce", "salt", "session", "sessionid", "sessid", "secret"})
_TOKEN_QUALIFIERS = _CODE_QUALIFIERS | _KEY_QUALIFIERS | {"refresh", "bearer", "remember", "csrf", "xsrf"}
# A destination named with one of these holds something about a secret (its
# size, lifetime, position...), or is plainly not a secret.
_BENIGN_WORDS = frozenset({
    "count", "counter", "cnt", "num", "length", "len", "size", "timeout", "ttl", "expiry", "expires",
    "expire", "expiration", "lifetime", "age", "interval", "delay", "jitter", "backoff", "retry",
    "retries", "attempt", "attempts", "tries", "sleep", "wait", "index", "idx", "offset", "position",
    "pos", "limit", "max", "min", "type", "kind", "name", "label", "field", "header", "param",
    "version", "format", "fmt", "weight", "prob", "probability", "chance", "rate", "ratio",
    "bucket", "port", "host", "hostname", "server", "url", "path", "file", "filename", "dir", "seed",
    "cache", "usage", "rounds", "iterations", "policy", "strength", "complexity", "score", "fake",
    "dummy", "mock", "example", "sample", "placeholder", "id", "uuid", "color", "colour", "order",
    "hint", "prompt", "column", "row", "width", "height", "test", "mask", "masked", "display",
})
# Names of collections that are alphabets: picking from them makes a string.
_ALPHABET_WORDS = frozenset({
    "chars", "characters", "charset", "alphabet", "alphanumeric", "alnum", "alphanum", "symbols",
    "letters", "digits", "hexdigits", "punctuation", "printable", "charlist",
})

# --------------------------------------------------------- value transforms
# Calls whose result is derived from their argument (the secret survives them).
_TRANSFORM_CALLS = frozenset({
    "str", "repr", "hex", "oct", "bin", "int", "bytes", "bytearray", "format", "list", "tuple",
    "set", "sorted", "reversed", "uuid.UUID", "codecs.encode", "struct.pack", "int.from_bytes",
    "bytes.fromhex", "map",
})
_TRANSFORM_PREFIXES = ("base64.", "binascii.", "hashlib.")
# Methods whose result is derived from their argument (`"".join(...)`).
_TRANSFORM_METHODS = frozenset({"join", "format", "format_map"})
_TEXT_TRANSFORMS = frozenset({"str", "repr", "hex", "oct", "bin", "format", "join", "hexdigest",
                              "b64encode", "urlsafe_b64encode", "b32encode", "hexlify", "zfill",
                              "format_map", "upper", "lower"})
_BITS_TRANSFORMS = frozenset({"bytes", "bytearray", "to_bytes", "digest", "encode", "pack"})
# Methods that put their argument into the receiving collection.
_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "add", "appendleft", "extendleft"})
# Methods that store their value under a name given as a string argument.
_STORE_METHODS = {"set": 0, "setex": 0, "setdefault": 0, "put": 0, "hset": 1, "set_cookie": 0,
                  "set_signed_cookie": 0, "setattr": 1, "add_header": 0, "putheader": 0,
                  "__setitem__": 0}
# Keyword arguments that give a field or attribute its value.
_DEFAULT_KEYWORDS = frozenset({"default", "default_factory", "initial", "server_default"})
# Callee names that store or hand on their argument (`set_password`,
# `store_token`); `make_token(n)` or `check_password(p)` do not.
_SETTER_VERBS = frozenset({"set", "store", "save", "update", "put", "assign", "send", "email", "mail",
                           "sms", "hash", "encrypt", "reset", "change", "register", "persist", "write"})

_MAX_HOPS = 3  # variable assignments and helper returns followed
_MAX_CLIMB = 30


@dataclass(frozen=True)
class _Source:
    label: str  # `random.choice`, `rng.choice` (a `random.Random`)
    method: str
    family: str  # "random" or "numpy"
    module_call: bool  # a module function (`random.choice`), not a method of an object


@dataclass
class _State:
    node: ast.AST
    hops: int
    kind: str  # "number", "text", "bits", "pick"
    pick: bool  # a pick of an existing item (not generated) unless repeated and built into text
    repeated: bool = False
    trace: list[TraceStep] = field(default_factory=list)


@dataclass
class _Hit:
    destination: str  # "`reset_token`", "the `password` keyword argument"
    verb: str  # "is stored in", "is passed as", "is returned by"
    words: set[str]  # the secret words of the destination's name
    name_words: set[str]  # all its words
    confidence: Confidence
    line: int
    trace: list[TraceStep]


class InsecureRandom(Rule):
    id = "py.insecure-random"
    name = "Predictable random generator used for a secret"
    cwe = (338,)
    severity = Severity.MEDIUM
    bandit_ids = ("B311",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        found: dict[int, list[tuple[ast.Call, _Source, _Hit]]] = {}
        loads = _NameIndex(ctx)
        for call, name in ctx.calls():
            source = self._source(ctx, call, name)
            if source is None:
                continue
            hit = self._destination(ctx, call, source, loads)
            if hit is not None:
                found.setdefault(call.lineno, []).append((call, source, hit))
        for line in sorted(found):
            group = sorted(found[line], key=lambda item: item[0].col_offset)
            yield self._report(ctx, group)

    # ------------------------------------------------------------ sources
    def _source(self, ctx: FileContext, call: ast.Call, name: str) -> _Source | None:
        func = call.func
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "random" and parts[1] in _RANDOM_FUNCTIONS:
            if _head_rebound(ctx, func):
                return None  # `random = random.SystemRandom()` and the like
            return _Source(name, parts[1], "random", True)
        if len(parts) == 3 and parts[:2] == ["numpy", "random"] and parts[2] in _NUMPY_FUNCTIONS:
            if _head_rebound(ctx, func):
                return None
            return _Source(name, parts[2], "numpy", True)
        if not isinstance(func, ast.Attribute):
            return None
        method = func.attr
        if method not in _RANDOM_FUNCTIONS and method not in _NUMPY_FUNCTIONS:
            return None
        receiver = func.value
        maker: str | None = None
        if isinstance(receiver, ast.Call):
            maker = ctx.call_name(receiver)
        elif isinstance(receiver, ast.Name):
            maker = ctx.constructed_by(receiver)
        elif isinstance(receiver, ast.Attribute):
            maker = _attribute_maker(ctx, receiver)
        family = _GENERATORS.get(maker or "")
        if family is None:
            return None
        if family == "random" and method not in _RANDOM_FUNCTIONS:
            return None
        label = f"{ctx.source_of(receiver, 40)}.{method}"
        return _Source(label, method, family, False)

    # -------------------------------------------------------- destination
    def _destination(self, ctx: FileContext, call: ast.Call, source: _Source,
                     loads: "_NameIndex") -> _Hit | None:
        """Follow the value from the call to the place that names it."""
        start = TraceStep(ctx.path, call.lineno, f"`{source.label}` makes the value")
        if source.method == "shuffle":
            # The shuffled list itself is the value.
            target = ctx.argument(call, 0, "x")
            if target is None:
                return None
            alphabet = _alphabet(ctx, target)
            state = _State(target, 0, "text" if alphabet else "pick", not alphabet, True, [start])
            hits = list(self._name_destination(ctx, target, state, loads, after=_end(call)))
        else:
            kind, pick = "number", False
            if source.method in _PICKS:
                population = ctx.argument(call, 0, "population" if source.family == "random" else "a")
                if population is None and source.method == "choice":
                    population = ctx.keyword(call, "seq")
                alphabet = population is not None and _alphabet(ctx, population)
                kind, pick = ("text", False) if alphabet else ("pick", True)
            elif source.method in _BITS:
                kind = "bits"
            repeated = source.method in ("choices", "sample")
            hits = list(self._climb(ctx, _State(call, 0, kind, pick, repeated, [start]), loads))
        if not hits:
            return None
        return max(hits, key=lambda hit: hit.confidence)

    def _climb(self, ctx: FileContext, state: _State, loads: "_NameIndex") -> Iterator[_Hit]:
        """Climb from `state.node` through expressions that carry the value on;
        where it stops, find the name the value gets."""
        node = state.node
        for _ in range(_MAX_CLIMB):
            parent = ctx.parent(node)
            if parent is None:
                return
            if isinstance(parent, ast.comprehension):
                # `[c for c in random.sample(ALPHABET, 8)]`: the items come from it
                comp = ctx.parent(parent)
                if node is not parent.iter or comp is None:
                    return
                state.repeated = True
                node = comp
                continue
            step = self._through(ctx, node, parent, state)
            if step is None:
                yield from self._named(ctx, node, parent, state, loads)
                return
            if not step:
                return
            node = parent

    def _through(self, ctx: FileContext, node: ast.AST, parent: ast.AST, state: _State) -> bool | None:
        """True when `parent` carries the value on, False when it consumes it,
        None when `parent` is where the value is named (or lost)."""
        if isinstance(parent, (ast.BoolOp, ast.Starred, ast.FormattedValue, ast.Set)):
            return True
        if isinstance(parent, ast.BinOp):
            # "%032x" % bits, "tok_" + number: formatted into text; 1 + number stays a number
            other = parent.right if node is parent.left else parent.left
            if isinstance(parent.op, ast.Mod) and node is parent.right or isinstance(parent.op, ast.Add) and (
                    isinstance(other, ast.JoinedStr)
                    or isinstance(other, ast.Constant) and isinstance(other.value, str)):
                _retype(state, "str")
            return True
        if isinstance(parent, ast.JoinedStr):
            _retype(state, "str")
            return True
        if isinstance(parent, (ast.List, ast.Tuple)):
            grand = ctx.parent(parent)
            if isinstance(grand, ast.Assign) and grand.value is parent:
                return None  # positional unpacking is resolved where it is named
            return True
        if isinstance(parent, ast.IfExp):
            return node is not parent.test
        if isinstance(parent, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            state.repeated = True
            return node is parent.elt
        if isinstance(parent, ast.DictComp):
            state.repeated = True
            return node is parent.value
        if isinstance(parent, ast.Lambda):
            return node is parent.body
        if isinstance(parent, ast.Subscript):
            if node is parent.value:
                return True
            if node is parent.slice:
                # `ALPHABET[random.randrange(len(ALPHABET))]` picks a letter;
                # `hosts[i]` picks an existing item.
                if _alphabet(ctx, parent.value):
                    state.kind, state.pick = "text", False
                else:
                    state.kind, state.pick = "pick", True
                return True
            return False
        if isinstance(parent, ast.Attribute):
            grand = ctx.parent(parent)
            if isinstance(grand, ast.Call) and grand.func is parent and parent.attr not in _CONTAINER_METHODS:
                # a method of the value: `.hex()`, `.to_bytes(16, "big")`, `.encode()`
                _retype(state, parent.attr)
                return True
            return False
        if isinstance(parent, ast.Call):
            if node is parent.func:
                # the Attribute step above handles `value.method()`
                return True
            callee = ctx.call_name(parent) or ""
            if _is_transform(parent, callee):
                func = parent.func
                _retype(state, func.attr if isinstance(func, ast.Attribute) else callee.rsplit(".", 1)[-1])
                return True
            return None
        if isinstance(parent, ast.keyword):
            call = ctx.parent(parent)
            if isinstance(call, ast.Call) and _is_transform(call, ctx.call_name(call) or ""):
                return True
            return None
        return None

    def _named(self, ctx: FileContext, node: ast.AST, parent: ast.AST, state: _State,
               loads: "_NameIndex") -> Iterator[_Hit]:
        """`node` (holding the value) meets `parent`, which does not carry it
        on: the name the value gets there, if any."""
        if isinstance(parent, (ast.List, ast.Tuple)):
            assign = ctx.parent(parent)
            if isinstance(assign, ast.Assign) and node in parent.elts:
                index = parent.elts.index(node)  # type: ignore[arg-type]
                for target in assign.targets:
                    if isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == len(parent.elts):
                        yield from self._target(ctx, target.elts[index], assign, state, loads)
            return
        if isinstance(parent, ast.Assign) and node is parent.value:
            for target in parent.targets:
                yield from self._target(ctx, target, parent, state, loads)
        elif isinstance(parent, (ast.AnnAssign, ast.AugAssign)) and node is parent.value:
            if isinstance(parent, ast.AugAssign):
                state.repeated = state.repeated or _in_loop(ctx, parent)
            yield from self._target(ctx, parent.target, parent, state, loads)
        elif isinstance(parent, ast.NamedExpr) and node is parent.value:
            yield from self._target(ctx, parent.target, parent, state, loads)
        elif isinstance(parent, (ast.Return, ast.Yield)) and node is parent.value:
            yield from self._returned(ctx, parent, state, loads)
        elif isinstance(parent, ast.Dict) and node in parent.values:
            key = parent.keys[parent.values.index(node)]  # type: ignore[arg-type]
            text = _constant_text(key) if key is not None else None
            verdict = _judge(text, state) if text else None
            if verdict and text:
                yield self._hit(state, f"the `{text!r}` key", "is stored under", text, _line(key),
                                Confidence.HIGH)
            elif verdict is None:
                # A neutral key: the dict as a whole is named further up.
                yield from self._climb(ctx, replace(state, node=parent), loads)
        elif isinstance(parent, ast.keyword) and parent.arg is not None:
            call = ctx.parent(parent)
            role = _crypto_role(ctx.call_name(call) or "", None, parent.arg) if isinstance(call, ast.Call) else None
            if role:
                yield from self._crypto_hit(ctx, call, role, state)  # type: ignore[arg-type]
                return
            verdict = _judge(parent.arg, state)
            if verdict:
                yield self._hit(state, f"the `{parent.arg}` keyword argument", "is passed as", parent.arg,
                                getattr(parent, "lineno", 0), Confidence.HIGH)
            elif verdict is None and parent.arg in _DEFAULT_KEYWORDS:
                # `api_key = Column(String, default=lambda: ...)`: the field's name says it
                call = ctx.parent(parent)
                if call is not None:
                    yield from self._climb(ctx, replace(state, node=call), loads)
        elif isinstance(parent, ast.Call) and node in parent.args:
            yield from self._argument(ctx, node, parent, state, loads)

    def _argument(self, ctx: FileContext, node: ast.AST, call: ast.Call, state: _State,
                  loads: "_NameIndex") -> Iterator[_Hit]:
        """The value passed positionally to a call that is not a transform."""
        role = _crypto_role(ctx.call_name(call) or "", call.args.index(node), None)  # type: ignore[arg-type]
        if role:
            yield from self._crypto_hit(ctx, call, role, state)
            return
        func = call.func
        callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if isinstance(func, ast.Attribute) and callee in _CONTAINER_METHODS:
            # parts.append(random.choice(ALPHABET)): the list is the value
            state.repeated = state.repeated or _in_loop(ctx, call)
            receiver = func.value
            if isinstance(receiver, ast.Attribute):
                # self.reset_tokens.append(...): the collection's name says what it holds
                if _judge(_singular(receiver.attr), state):
                    yield self._hit(state, f"`{ctx.source_of(receiver, 60)}`", "is stored in",
                                    _singular(receiver.attr), call.lineno, Confidence.HIGH)
            elif isinstance(receiver, ast.Name):
                if _judge(_singular(receiver.id), state):
                    yield self._hit(state, f"`{receiver.id}`", "is stored in", _singular(receiver.id),
                                    call.lineno, Confidence.HIGH)
                else:
                    yield from self._name_destination(ctx, receiver, state, loads, after=_end(call))
            return
        if callee in _STORE_METHODS:
            index = _STORE_METHODS[callee]
            key = call.args[index] if len(call.args) > index else None
            text = _constant_text(key) if key is not None and key is not node else None
            if text:
                if _judge(text, state):
                    yield self._hit(state, f"the `{text!r}` entry", "is stored as", text, _line(key),
                                    Confidence.HIGH)
                return
        parameter = _parameter_name(ctx, call, call.args.index(node))  # type: ignore[arg-type]
        if parameter is not None:
            # `create_user(name, ''.join(...))` with `def create_user(name, password)` in this file
            verdict = _judge(parameter, state)
            if verdict:
                yield self._hit(state, f"the `{parameter}` parameter of `{callee}()`", "is passed as",
                                parameter, call.lineno, Confidence.HIGH)
            if verdict is not None:
                return
        if callee and _words(callee) & _SETTER_VERBS and _judge(callee, state):
            # `user.set_password(...)`, `store_token(...)`: the callee says what it receives
            yield self._hit(state, f"`{callee}()`", "is passed to", callee, call.lineno, Confidence.HIGH)

    def _crypto_hit(self, ctx: FileContext, call: ast.Call, role: str, state: _State) -> Iterator[_Hit]:
        """The value is a cipher's or MAC's key, or a cipher's IV/nonce."""
        if state.pick and not (state.repeated and state.kind == "text"):
            return  # one of several existing keys, picked
        callee = ctx.source_of(call.func, 60)
        name = "encryption key" if role == "key" else "cipher iv nonce"
        hit = self._hit(state, f"`{callee}()`", f"is used as the {'key' if role == 'key' else 'IV/nonce'} of",
                        name, call.lineno, Confidence.HIGH)
        if role != "key":
            hit.words = {"iv"}
        yield hit

    def _target(self, ctx: FileContext, target: ast.AST, stmt: ast.AST, state: _State,
                loads: "_NameIndex") -> Iterator[_Hit]:
        if isinstance(target, ast.Subscript):
            text = _constant_text(target.slice)
            verdict = _judge(text, state) if text else None
            if verdict and text:
                yield self._hit(state, f"the `{text!r}` entry", "is stored as", text, _line(target),
                                Confidence.HIGH)
            elif verdict is None and isinstance(target.value, (ast.Name, ast.Attribute)):
                # reset_tokens[user] = ...: the collection's name says what it holds
                name = target.value.id if isinstance(target.value, ast.Name) else target.value.attr
                if _judge(_singular(name), state):
                    yield self._hit(state, f"an entry of `{name}`", "is stored in", _singular(name), target.lineno,
                                    Confidence.HIGH)
        elif isinstance(target, (ast.Name, ast.Attribute)):
            yield from self._name_destination(ctx, target, state, loads, after=_end(stmt))

    def _name_destination(self, ctx: FileContext, target: ast.AST, state: _State, loads: "_NameIndex",
                          after: tuple[int, int]) -> Iterator[_Hit]:
        """A variable or attribute holds the value: judge its name; follow a
        neutral local variable to where it is used next."""
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        verdict = _judge(name, state)
        if verdict:
            yield self._hit(state, f"`{ctx.source_of(target, 60)}`", "is stored in", name, _line(target),
                            Confidence.HIGH)
            return
        if verdict is not None or not isinstance(target, ast.Name) or state.hops >= _MAX_HOPS:
            return
        for use in loads.after(target, after):
            note = f"`{name}` carries the value"
            yield from self._climb(ctx, replace(state, node=use, hops=state.hops + 1,
                                                trace=[*state.trace, TraceStep(ctx.path, use.lineno, note)]),
                                   loads)

    def _returned(self, ctx: FileContext, stmt: ast.AST, state: _State,
                  loads: "_NameIndex") -> Iterator[_Hit]:
        func = ctx.enclosing_function(stmt)
        if func is None:
            return
        verdict = _judge(func.name, state)
        if verdict:
            yield self._hit(state, f"`{func.name}()`", "is returned by", func.name, _line(stmt),
                            Confidence.MEDIUM)
            return
        if verdict is not None or state.hops >= _MAX_HOPS:
            return
        # A helper with a neutral name: follow its calls in this file.
        for call in _callers(ctx, func):
            note = f"`{func.name}()` returns the value"
            yield from self._climb(ctx, replace(state, node=call, hops=state.hops + 1,
                                                trace=[*state.trace, TraceStep(ctx.path, call.lineno, note)]),
                                   loads)

    def _hit(self, state: _State, destination: str, verb: str, name: str, line: int,
             confidence: Confidence) -> _Hit:
        return _Hit(destination, verb, _secret_words(name, state), _words(name), confidence, line,
                    [*state.trace, TraceStep("", line, f"it {verb} {destination}")])

    # ------------------------------------------------------------ finding
    def _report(self, ctx: FileContext, group: list[tuple[ast.Call, _Source, _Hit]]) -> Finding:
        # Reported at the line's first call; described by its most certain one.
        _, source, hit = max(group, key=lambda item: item[2].confidence)
        call = group[0][0]
        words = hit.words
        salt_only = words <= {"salt"}
        what = _describe(words, hit.name_words)
        if source.family == "numpy":
            generator = ("numpy's generators (MT19937, PCG64) are made for simulations, not secrets: their "
                         "state can be recovered from the values they produce")
        else:
            generator = ("The `random` module is a Mersenne Twister, not a cryptographic generator: from "
                         "624 of its 32-bit outputs (or fewer, with a solver) its state can be rebuilt")
        if salt_only:
            stake = ("Salts need not be secret, but predictable ones let an attacker precompute hashes for "
                     "the salts users will get.")
        else:
            stake = (f"An attacker who collects values it made (for instance for their own account) can "
                     f"compute the values made before and after, so this {what} can be predicted instead "
                     f"of guessed.")
        if hit.verb == "is returned by":
            named = f", whose name says it makes {_a(what)}"
        elif hit.verb.startswith("is used as"):
            named = ""
        else:
            named = f", which its name marks as {_a(what)}"
        explanation = (
            f"The value `{source.label}` makes here {hit.verb} {hit.destination} (line {hit.line}){named}. "
            f"{generator[0].upper()}{generator[1:]}. {stake}"
        )
        if hit.verb == "is returned by":
            message = f"`{source.label}` makes the {what} that `{hit.destination.strip('`')}` returns."
        else:
            message = f"`{source.label}` makes the {what} that {hit.verb} {hit.destination}."
        trace = [TraceStep(ctx.path, step.line, step.note) for step in hit.trace]
        deduped: list[TraceStep] = []
        for step in trace:
            if not deduped or (deduped[-1].line, deduped[-1].note) != (step.line, step.note):
                deduped.append(step)
        return self.finding(
            ctx, call, message=message, explanation=explanation,
            fix=Fix(_fix_description(source, words), self._replacement(ctx, group)),
            confidence=hit.confidence,
            severity=Severity.LOW if salt_only else self.severity,
            trace=deduped,
        )

    @staticmethod
    def _replacement(ctx: FileContext, group: list[tuple[ast.Call, _Source, _Hit]]) -> str | None:
        """The line(s) with every reported call drawing from the OS generator:
        `secrets.choice` when `secrets` is imported, else
        `random.SystemRandom().<method>` on the same `random` module."""
        first = group[0][0]
        end_line = first.end_lineno or first.lineno
        secrets_alias = _module_level_alias(ctx, "secrets")
        random_alias = _module_level_alias(ctx, "random")
        edits = []
        for call, source, _ in group:
            if not source.module_call or source.family != "random":
                return None
            if (call.end_lineno or call.lineno) > end_line:
                return None
            func = call.func
            new: str | None = None
            if secrets_alias and source.method in _SECRETS_EQUIVALENT:
                new = f"{secrets_alias}.{_SECRETS_EQUIVALENT[source.method]}"
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                new = f"{func.value.id}.SystemRandom().{func.attr}"
            elif isinstance(func, ast.Name) and random_alias:
                new = f"{random_alias}.SystemRandom().{source.method}"
            if new is None:
                return None
            edits.append(((func.lineno, func.col_offset), _end(func), new))
        return ctx.replace_spans(first, edits, check=[first])


_SECRETS_EQUIVALENT = {"choice": "choice", "getrandbits": "randbits", "randbytes": "token_bytes"}


# ---------------------------------------------------------------- helpers
class _NameIndex:
    """Loads of each local name, by scope, built once per file on demand."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self._by_name: dict[str, list[ast.Name]] | None = None

    def after(self, target: ast.Name, position: tuple[int, int]) -> list[ast.Name]:
        if self._by_name is None:
            self._by_name = {}
            for node in self.ctx.nodes(ast.Name):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    self._by_name.setdefault(node.id, []).append(node)
        scope = self.ctx.enclosing_function(target)
        return [n for n in self._by_name.get(target.id, ())
                if (n.lineno, n.col_offset) >= position and self.ctx.enclosing_function(n) is scope][:8]


def _judge(name: str, state: _State) -> bool | None:
    """True: the name is a secret; False: it is plainly not (a size, delay,
    host...); None: it says nothing either way."""
    ws = _words(name)
    benign = ws & _BENIGN_WORDS
    if "id" in benign and ws & {"session", "csrf", "xsrf"}:
        benign.discard("id")
    if benign:
        return False
    if not _secret_words(name, state):
        return None
    if _marker_number(name, state):
        return False
    # A single pick of an existing item is not a new secret.
    if state.pick and not (state.repeated and state.kind == "text"):
        return False
    return True


def _secret_words(name: str, state: _State) -> set[str]:
    ws = _words(name)
    found = ws & _SECRET_WORDS
    if "key" in ws and (ws & _KEY_QUALIFIERS or state.kind == "bits"):
        found.add("key")
    if "code" in ws and ws & _CODE_QUALIFIERS:
        found.add("code")
    if "session" in ws and ws & {"id", "key", "cookie"}:
        found.add("session")
    if "iv" in ws and state.kind == "bits":
        found.add("iv")
    return found


def _marker_number(name: str, state: _State) -> bool:
    """A bare number called `token`, `nonce`, `salt` or `session_id` (a MIME
    boundary part, a proof-of-work or request-signing nonce, an API call's
    "salt" parameter, a protocol's session number) marks or de-duplicates
    something; security tokens, nonces, salts and web session ids are
    strings or bytes. `reset_token`, `otp` or `pin` are secrets whatever
    their type."""
    if state.kind != "number":
        return False
    found = _secret_words(name, state)
    return bool(found) and found <= _MARKER_WORDS and not (_words(name) - _MARKER_WORDS) & _TOKEN_QUALIFIERS


_DESCRIPTIONS = (
    # (word or part of a run-together word, how to call it), most telling first
    ("password", "password"), ("passwd", "password"), ("pwd", "password"), ("passphrase", "passphrase"),
    ("passcode", "passcode"), ("otp", "one-time password"), ("pincode", "PIN"), ("pin", "PIN"),
    ("code", "one-time code"), ("apikey", "API key"), ("csrf", "CSRF token"), ("xsrf", "CSRF token"),
    ("sess", "session id"), ("session", "session id"), ("secret", "secret"),
    ("token", "token"), ("nonce", "nonce"), ("challenge", "challenge"), ("iv", "initialisation vector"),
    ("credential", "credential"), ("salt", "salt"),
)


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" and not noun.startswith("one-") else "a ") + noun


def _describe(words: set[str], name_words: set[str]) -> str:
    """What kind of secret the destination's name says it is."""
    if "code" in words:
        qualifier = sorted(name_words & _CODE_QUALIFIERS - {"one"})
        return f"{qualifier[0]} code" if qualifier else "one-time code"
    if "key" in words:
        qualifier = sorted(name_words & _KEY_QUALIFIERS - {"priv", "crypt", "sign"})
        if "api" in qualifier:
            return "API key"
        return f"{qualifier[0]} key" if qualifier else "key"
    for part, description in _DESCRIPTIONS:
        if any(word == part or (len(part) > 3 and part in word) for word in words):
            return description
    return "secret"


def _fix_description(source: _Source, words: set[str]) -> str:
    if source.method in ("choice", "choices", "sample", "shuffle", "permutation"):
        specific = ("build it with `secrets.choice(alphabet)` (for example "
                    "`''.join(secrets.choice(alphabet) for _ in range(n))`), or use `secrets.token_urlsafe(32)`")
    elif source.method in _BITS:
        specific = "use `secrets.token_bytes(n)`, `secrets.token_hex(n)` or `secrets.randbits(k)`"
    else:
        specific = ("use `secrets.randbelow(n)` for a number, `secrets.token_hex(16)` or "
                    "`secrets.token_urlsafe(32)` for a token")
    if source.family == "numpy":
        return (f"numpy's generators are for simulations, not secrets. Make the value with the `secrets` "
                f"module: {specific}.")
    if not source.module_call:
        receiver = source.label.rsplit(".", 1)[0]
        return (f"`{receiver}` is a `random.Random`: create it as `random.SystemRandom()` (same methods, drawn "
                f"from the operating system's cryptographic generator), or make the value with the `secrets` "
                f"module: {specific}.")
    return (f"Make the value with the `secrets` module: {specific}; or draw from `random.SystemRandom()`, "
            "which uses the operating system's cryptographic generator.")


def _head_rebound(ctx: FileContext, func: ast.AST) -> bool:
    """The name the call starts from is also bound by something other than an
    import (`random = random.SystemRandom()`): it may not be the module."""
    head = func
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return True
    return any(not isinstance(b, (ast.Import, ast.ImportFrom)) for b in ctx.bindings_of(head))


def _attribute_maker(ctx: FileContext, attr: ast.Attribute) -> str | None:
    """`self._rng` in a method: the call every assignment of it in the class
    makes, when they all make the same kind of generator."""
    if not isinstance(attr.value, ast.Name) or attr.value.id not in ("self", "cls"):
        return None
    klass = next((a for a in ctx.ancestors(attr) if isinstance(a, ast.ClassDef)), None)
    if klass is None:
        return None
    makers: set[str | None] = set()
    for node in ast.walk(klass):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Attribute) and target.attr == attr.attr
                        and isinstance(target.value, ast.Name) and target.value.id in ("self", "cls")) or (
                        isinstance(target, ast.Name) and target.id == attr.attr
                        and ctx.parent(node) is klass):
                    makers.add(ctx.call_name(node.value) if isinstance(node.value, ast.Call) else None)
    if len(makers) == 1:
        return next(iter(makers))
    return None


def _alphabet(ctx: FileContext, expr: ast.AST, depth: int = 0) -> bool:
    """The population is a set of characters or numbers (picking from it
    makes a new value), not a collection of existing things."""
    if depth > 6:
        return False
    d = depth + 1
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (str, bytes)) and len(expr.value) >= 1 or (
            isinstance(expr.value, int) and not isinstance(expr.value, bool))
    if isinstance(expr, (ast.Name, ast.Attribute)):
        qualified = ctx.qualified_name(expr) or ""
        if qualified.startswith("string."):
            return True
        name = expr.id if isinstance(expr, ast.Name) else expr.attr
        if _words(name) & _ALPHABET_WORDS:
            return True
        if isinstance(expr, ast.Name):
            bindings = ctx.bindings_of(expr)
            values: list[ast.AST] | None
            if bindings and all(isinstance(b, ast.arg) for b in bindings):
                # a parameter: its default says what the caller usually passes
                defaults = [_default_of(ctx, b) for b in bindings]  # type: ignore[arg-type]
                values = None if any(v is None for v in defaults) else defaults  # type: ignore[assignment]
            else:
                values = ctx.assigned_values(expr)  # type: ignore[assignment]
            if not values:
                return False
            return bool(values) and all(_alphabet(ctx, v, d) for v in values)
        return False
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _alphabet(ctx, expr.left, d) and _alphabet(ctx, expr.right, d)
    if isinstance(expr, ast.Call):
        callee = ctx.call_name(expr) or ""
        if callee == "range":
            return True
        if callee in ("list", "tuple", "set", "sorted", "str", "frozenset") and expr.args:
            return _alphabet(ctx, expr.args[0], d)
        return False
    if isinstance(expr, (ast.List, ast.Tuple)):
        return len(expr.elts) >= 4 and all(
            isinstance(e, ast.Constant) and (isinstance(e.value, str) and len(e.value) == 1
                                             or isinstance(e.value, int) and not isinstance(e.value, bool))
            for e in expr.elts)
    return False


def _default_of(ctx: FileContext, arg: ast.arg) -> ast.expr | None:
    arguments = ctx.parent(arg)
    if not isinstance(arguments, ast.arguments):
        return None
    positional = [*arguments.posonlyargs, *arguments.args]
    if arg in positional:
        offset = len(positional) - len(arguments.defaults)
        index = positional.index(arg) - offset
        return arguments.defaults[index] if index >= 0 else None
    if arg in arguments.kwonlyargs:
        return arguments.kw_defaults[arguments.kwonlyargs.index(arg)]
    return None


def _constant_text(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        text = "".join(v.value for v in expr.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return text or None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        return _constant_text(expr.left)
    return None


def _is_transform(call: ast.Call, callee: str) -> bool:
    if callee in _TRANSFORM_CALLS or callee.startswith(_TRANSFORM_PREFIXES):
        return True
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in _TRANSFORM_METHODS


def _retype(state: _State, name: str) -> None:
    """What a transform makes of the value: raw bits stay raw bits (a hex
    string of random bits is still key material); numbers and picks become
    text when formatted or joined, bytes when packed or encoded."""
    if state.kind == "bits":
        return
    if name in _BITS_TRANSFORMS:
        state.kind = "bits"
    elif name in _TEXT_TRANSFORMS:
        state.kind = "text"


def _crypto_role(callee: str, position: int | None, keyword: str | None) -> str | None:
    """"key" or "iv" when the argument at `position` (or `keyword`) of
    `callee` is a cipher's or MAC's key or a cipher's IV/nonce."""
    if callee.startswith(("Crypto.Cipher.", "Cryptodome.Cipher.")) and callee.endswith(".new"):
        if position == 0 or keyword == "key":
            return "key"
        if position == 2 or keyword in ("iv", "IV", "nonce"):
            return "iv"
        return None
    if callee.startswith((_CIPHERS + "algorithms.", _CIPHERS + "aead.")) or callee == "cryptography.fernet.Fernet":
        return "key" if position == 0 or keyword == "key" else None
    if callee.startswith(_CIPHERS + "modes."):
        return "iv" if position == 0 or keyword in ("initialization_vector", "nonce", "tweak") else None
    if callee in ("hmac.new", "hmac.digest", "hmac.HMAC"):
        return "key" if position == 0 or keyword == "key" else None
    if callee == "jwt.encode":
        return "key" if position == 1 or keyword == "key" else None
    return None


_CIPHERS = "cryptography.hazmat.primitives.ciphers."


def _parameter_name(ctx: FileContext, call: ast.Call, position: int) -> str | None:
    """The name of the parameter at `position` of a function this file
    defines once at module level and calls by name."""
    func = call.func
    if not isinstance(func, ast.Name) or ctx.qualified_name(func) != func.id:
        return None
    bindings = ctx.module_bindings.get(func.id, [])
    if len(bindings) != 1 or not isinstance(bindings[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return None
    params = [*bindings[0].args.posonlyargs, *bindings[0].args.args]
    return params[position].arg if position < len(params) else None


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _in_loop(ctx: FileContext, node: ast.AST) -> bool:
    for anc in ctx.ancestors(node):
        if isinstance(anc, (ast.For, ast.AsyncFor, ast.While)):
            return True
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
    return False


def _callers(ctx: FileContext, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    """Calls of `func` in this file: `helper()` for a module-level function,
    `self.helper()` / `cls.helper()` inside its class for a method."""
    owner = ctx.parent(func)
    found: list[ast.Call] = []
    for call, name in ctx.calls():
        target = call.func
        if isinstance(owner, ast.Module) and isinstance(target, ast.Name) and name == func.name:
            found.append(call)
        elif (isinstance(owner, ast.ClassDef) and isinstance(target, ast.Attribute)
              and target.attr == func.name and isinstance(target.value, ast.Name)
              and target.value.id in ("self", "cls")
              and any(a is owner for a in ctx.ancestors(call))):
            found.append(call)
    return found[:8]


def _module_level_alias(ctx: FileContext, module: str) -> str | None:
    """The name a module-level `import module [as name]` binds."""
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == module:
                    return alias.asname or alias.name
    return None


def _line(node: ast.AST | None) -> int:
    return getattr(node, "lineno", 0) or 0


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


RULE = InsecureRandom()
