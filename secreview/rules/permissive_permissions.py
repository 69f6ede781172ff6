"""File or directory made writable by every local user.

## What it does
Reports permission modes that let other users (the "other" class) write:
`os.chmod`/`os.lchmod`/`os.fchmod`, `Path.chmod` and `chmod` wrappers
(`sftp.chmod(path, mode)`, privsep helpers) given a mode with the `0o002`
bit (`0o777`, `0o666`, `0o646`, `stat.S_IWOTH`, `stat.S_IRWXO`, or
`st.st_mode | stat.S_IWOTH`), resolved through names and `|` of `stat`
flags; the `chmod` command run through `subprocess`, `os.system` or an
`execute()` helper with such a mode (`777`, `o+w`, `a+rwx`); and `os.umask()`
with a mask that keeps other-write (`os.umask(0)`), which makes every file and
directory the process creates later with the default modes world-writable.
When the code restores the old umask in the same function, the umask itself
is not reported, only what is created in between with a mode that is
world-writable once the mask is applied.

A second, lower-severity case: `chmod` of a file whose path or variable name
says it holds a secret (private key, password, token, credentials, keytab)
to a mode every local user can read (`0o644`). Public keys and certificates
(`pub`, `cert`, `ca` in the name) are meant to be readable and are not
reported.

Not reported: modes without other-write (`0o755`, `0o711` on a directory
others must traverse, `0o775` for a shared group, `0o644`); the sticky
directories (`0o1777`, as `/tmp`), which are world-writable by design and
where users cannot delete or rename each other's files; modes that are not
constants (`os.chmod(path, mode)`, a configuration value); and the mode
argument of `os.mkdir`/`os.makedirs`/`os.open`/`Path.mkdir` outside a
umask window: it is filtered through the process umask, and `0o777` for a
directory and `0o666` for a file are the defaults Python uses anyway, so
with the usual umask (`022`) they give `0o755`/`0o644`.

## Why is this bad?
Any local account (a compromised service, a container neighbour, a
multi-user host) can change a world-writable file: rewrite a configuration
or a script the service runs, plant data the service trusts, or replace
files in a world-writable directory. A world-readable key or password file
hands the secret to every local user (CWE-732).

## Example
```python
import os


def publish(socket_path):
    os.chmod(socket_path, 0o777)
```

## Use instead
Give write access to the owner (and a group, when others must share it):
```python
import os


def publish(socket_path):
    os.chmod(socket_path, 0o770)
```

## References
- https://cwe.mitre.org/data/definitions/732.html
- https://docs.python.org/3/library/os.html#os.chmod
- https://docs.python.org/3/library/os.html#os.umask
- https://wiki.sei.cmu.edu/confluence/display/c/FIO06-C.+Create+files+with+appropriate+access+permissions
"""

from __future__ import annotations

import ast
import re
import stat
from dataclasses import dataclass
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule, lazy_compile

_OTHER_WRITE = 0o002
_OTHER_READ = 0o004
_STICKY = 0o1000
_CHMOD = frozenset({"os.chmod", "os.lchmod", "os.fchmod"})
_RUNNERS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                      "subprocess.Popen", "os.system", "os.popen", "subprocess.getoutput",
                      "subprocess.getstatusoutput"})
_EXECUTE_NAMES = frozenset({"execute", "_execute", "trycmd"})
_SECRET_WORDS = frozenset({
    "private", "privkey", "secret", "secrets", "password", "passwords", "passwd", "passphrase",
    "credential", "credentials", "creds", "token", "tokens", "keytab", "htpasswd", "shadow",
    "key", "keyfile", "pkey", "rsa", "dsa", "ecdsa", "ed25519",
})
# Names of things meant to be readable: public keys, certificates, and
# directories (their mode does not expose the files in them).
_PUBLIC_WORDS = frozenset({"pub", "public", "pubkey", "cert", "certs", "certificate", "crt", "ca", "authorized",
                           "known", "hosts", "csr", "dir", "dirs", "directory", "folder", "cache"})
_SYMBOLIC = lazy_compile(r"^[ugoa]*[-+=][rwxXst]*(?:,[ugoa]*[-+=][rwxXst]*)*$")
_NUMERIC = lazy_compile(r"^0?[0-7]{3,4}$")
_SHELL_CHMOD = lazy_compile(r"\bchmod\s+(?:-[A-Za-z]+\s+)*(?P<mode>\S+)")
# Creation calls whose mode the umask filters: name -> (mode position, keyword, default).
_CREATORS = {
    "os.mkdir": (1, "mode", 0o777), "os.makedirs": (1, "mode", 0o777), "os.open": (2, "mode", 0o777),
    "os.mkfifo": (1, "mode", 0o666), "os.mknod": (1, "mode", 0o600),
}
_OPENERS = frozenset({"open", "io.open", "builtins.open"})


@dataclass(frozen=True)
class _Mode:
    bits: int     # bits the mode certainly sets
    exact: bool   # the mode is exactly `bits`


class PermissivePermissions(Rule):
    id = "py.permissive-permissions"
    name = "World-writable file permissions"
    cwe = (732,)
    severity = Severity.MEDIUM
    bandit_ids = ("B103",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        umasks: list[tuple[ast.Call, _Mode]] = []
        for call, name in ctx.calls():
            if name == "os.umask":
                arg = ctx.argument(call, 0, "mask")
                mask = _mode(ctx, arg) if arg is not None else None
                if mask is not None and mask.exact and not mask.bits & _OTHER_WRITE:
                    umasks.append((call, mask))
                continue
            found = self._chmod(ctx, call, name)
            if found is None:
                found = self._command(ctx, call, name)
            if found is not None:
                yield found
        for call, mask in umasks:
            yield from self._umask(ctx, call, mask)

    # ------------------------------------------------------------ chmod
    def _chmod(self, ctx: FileContext, call: ast.Call, name: str) -> Finding | None:
        func = call.func
        target: ast.AST | None
        if name in _CHMOD:
            target, mode_node = ctx.argument(call, 0, "fd" if name == "os.fchmod" else "path"), \
                ctx.argument(call, 1, "mode")
        elif isinstance(func, ast.Attribute) and func.attr == "chmod" and not call.keywords \
                and not (isinstance(func.value, ast.Name) and ctx.imports.get(func.value.id) == "os"):
            if len(call.args) == 1:  # pathlib: path.chmod(mode)
                target, mode_node = func.value, call.args[0]
            elif len(call.args) == 2:  # wrappers: chmod(path, mode), guestfs chmod(mode, path)
                modes = [a for a in call.args if _mode(ctx, a) is not None]
                if len(modes) != 1:
                    return None
                mode_node = modes[0]
                target = call.args[1] if mode_node is call.args[0] else call.args[0]
            else:
                return None
        else:
            return None
        if mode_node is None:
            return None
        mode = _mode(ctx, mode_node)
        if mode is None:
            return None
        shown = f"{ctx.source_of(func)}()"
        subject = ctx.source_of(target, 60) if target is not None else "the file"
        if mode.bits & _OTHER_WRITE and not mode.bits & _STICKY:
            return self._world_writable(ctx, call, shown, subject, mode_node, mode, target)
        if mode.bits & _OTHER_READ and target is not None and _holds_secret(ctx, target):
            return self._readable_secret(ctx, call, shown, subject, mode_node, mode)
        return None

    def _world_writable(self, ctx: FileContext, call: ast.Call, shown: str, subject: str,
                        mode_node: ast.AST, mode: _Mode, target: ast.AST | None) -> Finding:
        new = mode.bits & ~0o022
        if target is not None and _holds_secret(ctx, target):
            new &= ~0o077
        replacement = None
        if isinstance(mode_node, ast.Constant):
            replacement = ctx.replace_source(mode_node, _octal(new), lines_of=call)
        return self.finding(
            ctx, call,
            message=f"`{shown}` makes `{subject}` writable by every local user ({_describe(mode_node, mode, ctx)}).",
            explanation=(
                f"The mode has the other-write bit (0o002) set, and chmod applies it as given (the umask "
                f"does not filter it). Any local account can then change `{subject}`: rewrite data or "
                "configuration this service trusts, replace a script it runs, or, for a directory, "
                "add, delete and swap the files in it."),
            fix=Fix("Drop write access for others (and for the group unless a group must share it)"
                    + (f", e.g. {_octal(new)}" if mode.exact else ": do not add stat.S_IWOTH")
                    + "; give the users who need access a common group instead.", replacement),
            confidence=Confidence.HIGH, trace=_trace(ctx, mode_node, call),
        )

    def _readable_secret(self, ctx: FileContext, call: ast.Call, shown: str, subject: str,
                         mode_node: ast.AST, mode: _Mode) -> Finding:
        new = mode.bits & ~0o077
        replacement = None
        if isinstance(mode_node, ast.Constant):
            replacement = ctx.replace_source(mode_node, _octal(new), lines_of=call)
        return self.finding(
            ctx, call,
            message=(f"`{shown}` makes `{subject}`, which by its name holds a secret, readable by every "
                     f"local user ({_describe(mode_node, mode, ctx)})."),
            explanation=(
                f"The name `{subject}` says the file holds a key, password or token, and the mode "
                "gives read access to others (0o004): every local account can copy the secret."),
            fix=Fix(f"Keep secrets readable by their owner only: {_octal(new)}.", replacement),
            confidence=Confidence.MEDIUM, severity=Severity.LOW, trace=_trace(ctx, mode_node, call),
        )

    # --------------------------------------------------- chmod command
    def _command(self, ctx: FileContext, call: ast.Call, name: str) -> Finding | None:
        argv: list[ast.AST] | None = None
        text: str | None = None
        if name in _RUNNERS and call.args:
            first = call.args[0]
            if isinstance(first, (ast.List, ast.Tuple)):
                argv = list(first.elts)
            else:
                text = _constant_text(ctx, first)
        elif name.rsplit(".", 1)[-1] in _EXECUTE_NAMES and call.args:
            argv = list(call.args)
        mode_text: str | None = None
        if argv:
            values = [ctx.literal_values(a) if not isinstance(a, ast.Starred) else None for a in argv]
            words = [v[0] if v and len(v) == 1 and isinstance(v[0], str) else None for v in values]
            if words and words[0] == "sudo":
                words = words[1:]
            if not words or words[0] is None or words[0].rsplit("/", 1)[-1] != "chmod":
                return None
            for word in words[1:]:
                if word is None:
                    return None  # the mode is not a constant
                if not word.startswith("-") or _SYMBOLIC.match(word):
                    mode_text = word
                    break
        elif text is not None:
            match = _SHELL_CHMOD.search(text)
            mode_text = match.group("mode") if match else None
        if mode_text is None or not _command_grants_other_write(mode_text):
            return None
        return self.finding(
            ctx, call,
            message=(f"`chmod {mode_text}` run through `{ctx.source_of(call.func)}()` makes files writable "
                     "by every local user."),
            explanation=(
                f"The mode `{mode_text}` gives write access to others. Any local account can then "
                "change the files: rewrite data or configuration this service trusts, replace a "
                "script it runs, or swap the files in a directory."),
            fix=Fix("Use a mode without write access for others (755 for directories, 644 for files), "
                    "or os.chmod() with such a mode instead of running chmod."),
            confidence=Confidence.HIGH,
        )

    # ------------------------------------------------------------ umask
    def _umask(self, ctx: FileContext, call: ast.Call, mask: _Mode) -> Iterator[Finding]:
        parent = ctx.parent(call)
        if isinstance(parent, ast.Call) and ctx.call_name(parent) == "os.umask":
            return  # os.umask(os.umask(0)): reads the umask and puts it back
        scope = ctx.enclosing_function(call)
        restore: ast.Call | None = None
        for other, name in sorted(ctx.calls(), key=lambda c: _position(c[0])):
            if name != "os.umask" or _position(other) <= _position(call) \
                    or ctx.enclosing_function(other) is not scope:
                continue
            arg = ctx.argument(other, 0, "mask")
            value = _mode(ctx, arg) if arg is not None else None
            if value is None or not value.exact or value.bits & _OTHER_WRITE:
                restore = other
                break
        mask_text = _octal(mask.bits)
        if restore is None:
            arg = ctx.argument(call, 0, "mask")
            replacement = (ctx.replace_source(arg, "0o022", lines_of=call)
                           if isinstance(arg, ast.Constant) else None)
            yield self.finding(
                ctx, call,
                message=(f"`os.umask({mask_text})` lets every file and directory the process creates "
                         "afterwards be world-writable."),
                explanation=(
                    f"The umask is process-wide and this code does not restore it. With a mask of "
                    f"{mask_text}, `open()` creates files with mode 0o666 and `os.makedirs()` directories "
                    "with mode 0o777, so any local account can change what the process writes from "
                    "now on, in every module and thread."),
                fix=Fix("Keep a mask that removes write access for others (0o022, or 0o077 for private "
                        "data); to create one file with an exact mode, pass the mode to os.open() or "
                        "chmod it, or restore the old umask right after.", replacement),
                confidence=Confidence.HIGH,
            )
            return
        for created, name in ctx.calls():
            if not _position(call) < _position(created) < _position(restore) \
                    or ctx.enclosing_function(created) is not scope:
                continue
            made = _created_mode(ctx, created, name)
            if made is None:
                continue
            mode_node, mode, what = made
            effective = mode.bits & ~mask.bits & 0o7777
            if not effective & _OTHER_WRITE or effective & _STICKY:
                continue
            replacement = None
            if isinstance(mode_node, ast.Constant):
                replacement = ctx.replace_source(mode_node, _octal(mode.bits & ~0o022), lines_of=created)
            given = (f"mode {ctx.source_of(mode_node)}" if mode_node is not None
                     else f"the default mode {_octal(mode.bits)}")
            yield self.finding(
                ctx, created,
                message=(f"`{ctx.source_of(created.func)}()` creates {what} with {given} while the "
                         f"umask is {mask_text}: it is world-writable ({_octal(effective)})."),
                explanation=(
                    f"`os.umask({mask_text})` on line {call.lineno} removes the mask that normally takes "
                    "write access away from others, so the mode given here is applied as is. Any local "
                    "account can change what is created."),
                fix=Fix("Create it with a mode without write access for others (0o755 for a directory, "
                        "0o644 or 0o600 for a file).", replacement),
                confidence=Confidence.HIGH,
                trace=[TraceStep(ctx.path, call.lineno, f"`os.umask({mask_text})` clears the other-write mask")],
            )


def _created_mode(ctx: FileContext, call: ast.Call, name: str) -> tuple[ast.AST | None, _Mode, str] | None:
    """(mode node or None for the default, mode, what is created) when `call`
    creates a file system entry with a mode the umask filters."""
    func = call.func
    spec = _CREATORS.get(name)
    if spec is not None:
        position, keyword, default = spec
        if name == "os.open":
            flags = ctx.argument(call, 1, "flags")
            names = {n.rsplit(".", 1)[-1] for n in _qualified_names(ctx, flags)} if flags is not None else set()
            if "O_CREAT" not in names:
                return None
        subject = ctx.argument(call, 0, "path")
        what = f"`{ctx.source_of(subject, 60)}`" if subject is not None else "it"
        node = ctx.argument(call, position, keyword)
        return _with_mode(ctx, node, default, what)
    if name in _OPENERS:
        mode = ctx.argument(call, 1, "mode")
        values = ctx.literal_values(mode) if mode is not None else None
        if not values or not all(isinstance(v, str) and any(c in v for c in "wax+") for v in values):
            return None
        subject = ctx.argument(call, 0, "file")
        return None, _Mode(0o666, True), f"`{ctx.source_of(subject, 60)}`" if subject is not None else "a file"
    if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name)
                                                and func.value.id in ctx.module_imports):
        what = f"`{ctx.source_of(func.value, 60)}`"
        if func.attr in ("write_text", "write_bytes"):
            return None, _Mode(0o666, True), what
        if func.attr == "touch" and not call.args:
            return _with_mode(ctx, ctx.keyword(call, "mode"), 0o666, what)
        if func.attr == "mkdir":
            node = ctx.argument(call, 0, "mode")
            if call.args and _mode(ctx, call.args[0]) is None:
                return None  # ftp.mkdir(path): not pathlib
            return _with_mode(ctx, node, 0o777, what)
    return None


def _with_mode(ctx: FileContext, node: ast.AST | None, default: int,
               what: str) -> tuple[ast.AST | None, _Mode, str] | None:
    if node is None:
        return None, _Mode(default, True), what
    mode = _mode(ctx, node)
    return (node, mode, what) if mode is not None and mode.exact else None


def _mode(ctx: FileContext, expr: ast.AST | None, depth: int = 0) -> _Mode | None:
    """The permission bits `expr` certainly sets: integer literals, names
    bound to them, `stat.S_*` flags, and `|`/`+`/`&`/`~` of those. `x |
    stat.S_IWOTH` certainly sets 0o002 whatever `x` is."""
    if expr is None or depth > 8:
        return None
    d = depth + 1
    if isinstance(expr, ast.Constant):
        value = expr.value
        return _Mode(value, True) if isinstance(value, int) and not isinstance(value, bool) else None
    qualified = ctx.qualified_name(expr) or ""
    if qualified.startswith("stat.S_"):
        value = getattr(stat, qualified[5:], None)
        return _Mode(value, True) if isinstance(value, int) else None
    if isinstance(expr, ast.Name):
        values = ctx.assigned_values(expr)
        if values and len(values) == 1:
            return _mode(ctx, values[0], d)
        return None
    if isinstance(expr, ast.BinOp):
        left, right = _mode(ctx, expr.left, d), _mode(ctx, expr.right, d)
        if isinstance(expr.op, ast.BitOr):
            if left is None and right is None:
                return None
            if left is None or right is None:
                known = left or right
                return _Mode(known.bits, False)  # type: ignore[union-attr]
            return _Mode(left.bits | right.bits, left.exact and right.exact)
        if left is None or right is None or not (left.exact and right.exact):
            return None
        if isinstance(expr.op, ast.Add):
            return _Mode(left.bits + right.bits, True)
        if isinstance(expr.op, ast.BitAnd):
            return _Mode(left.bits & right.bits, True)
        return None
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Invert):
        inner = _mode(ctx, expr.operand, d)
        return _Mode(~inner.bits & 0o7777, True) if inner is not None and inner.exact else None
    if isinstance(expr, ast.Call) and ctx.call_name(expr) == "int" and len(expr.args) == 2:
        text, base = ctx.literal_values(expr.args[0]), ctx.literal_values(expr.args[1])
        if text and base and isinstance(text[0], str) and base[0] == 8:
            try:
                return _Mode(int(text[0], 8), True)
            except ValueError:
                return None
    return None


def _qualified_names(ctx: FileContext, expr: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(expr):
        if isinstance(node, (ast.Attribute, ast.Name)):
            name = ctx.qualified_name(node)
            if name:
                names.append(name)
        if isinstance(node, ast.Name):
            values = ctx.assigned_values(node)
            if values and len(values) == 1 and values[0] is not expr:
                names.extend(_qualified_names(ctx, values[0]))
    return names


def _holds_secret(ctx: FileContext, target: ast.AST) -> bool:
    text = ctx.source_of(target, 200)
    if isinstance(target, ast.Name):
        origin = ctx.origin(target)
        text += " " + origin.code
    found = _words(text)
    return bool(found & _SECRET_WORDS) and not found & _PUBLIC_WORDS


def _command_grants_other_write(mode: str) -> bool:
    mode = mode.strip("'\"")
    if _NUMERIC.match(mode):
        bits = int(mode, 8)
        return bool(bits & _OTHER_WRITE) and not bits & _STICKY
    if not _SYMBOLIC.match(mode):
        return False
    for clause in mode.split(","):
        match = re.match(r"^([ugoa]*)([-+=])([rwxXst]*)$", clause)
        if match is None:
            continue
        who, op, perms = match.groups()
        # Without u/g/o/a, chmod applies the umask, which normally removes o+w.
        if op in "+=" and "w" in perms and ("o" in who or "a" in who) and "t" not in perms:
            return True
    return False


def _constant_text(ctx: FileContext, expr: ast.AST) -> str | None:
    """The constant text of a command string; f-string fields become `{}`."""
    values = ctx.literal_values(expr)
    if values and len(values) == 1 and isinstance(values[0], str):
        return values[0]
    if isinstance(expr, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in expr.values)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        left = _constant_text(ctx, expr.left)
        return None if left is None else left + " {}"
    return None


def _describe(node: ast.AST, mode: _Mode, ctx: FileContext) -> str:
    text = ctx.source_of(node, 60)
    if isinstance(node, ast.Constant):
        return f"mode {text}" if text.lower().startswith("0o") else f"mode {text} = {_octal(mode.bits)}"
    if mode.exact:
        return f"`{text}` is {_octal(mode.bits)}"
    return f"`{text}` always sets {_octal(mode.bits)}"


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _octal(bits: int) -> str:
    return f"0o{bits:03o}"


def _trace(ctx: FileContext, mode_node: ast.AST, call: ast.Call) -> list[TraceStep]:
    if isinstance(mode_node, ast.Name):
        origin = ctx.origin(mode_node)
        if origin.line != call.lineno:
            return [TraceStep(ctx.path, origin.line, origin.note)]
    return []


RULE = PermissivePermissions()
