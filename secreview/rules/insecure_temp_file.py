"""Temporary file created under a name another local user can claim first.

## What it does
Reports `tempfile.mktemp()`, which returns a file name without creating the
file, and files written at a predictable path in a shared temporary
directory (`/tmp`, `/var/tmp`, `/dev/shm`, `tempfile.gettempdir()` or a
`TMPDIR` look-up with such a default): `open(path, "w"/"a"/"r+")`,
`io.open`/`codecs.open`, `os.open()` with write flags but without
`O_EXCL`, `Path(path).write_text()`/`write_bytes()`/`open("w")`,
`shutil.copy`/`copy2`/`copyfile` to it, logging file handlers and
`logging.basicConfig(filename=...)`, `tarfile.open`/`zipfile.ZipFile` in
write mode and `sqlite3.connect`.

A path is predictable when it is a constant (`"/tmp/app.lock"`, also through
names and `os.path.join`/`pathlib`) or when the parts that vary are the
process id, the time or the date, the user or the host name. A path whose
varying part this file does not explain (`os.path.join("/tmp", name)`) is
reported with medium confidence, as is a path that is only the default of a
parameter.

Not reported: `tempfile.mkstemp()`, `NamedTemporaryFile()`,
`TemporaryFile()`, `TemporaryDirectory()` and `mkdtemp()`, and paths inside
the directories they return; `mktemp()` whose name goes only to calls that
refuse an existing name (`os.mkfifo`, `os.mkdir`, a Unix socket's `bind`,
`os.open` with `O_EXCL`) and to clean-up, `mktemp(dir=...)` inside a private
directory, and `mktemp()` with a prefix in the Windows named-pipe namespace (a pipe,
not a file); names with a random part (`uuid.uuid4()`, `secrets`, `os.urandom`);
`os.open(path, O_CREAT | O_EXCL ...)` and `open(path, "x")`, which refuse a
name that already exists; reading a temporary file; strings that mention
`/tmp` without being written to (help texts, configuration defaults such as
`cfg.StrOpt("lock_path", default="/tmp")`, where the deployer picks the
directory); `Path.touch()` and directory creation (a file written inside a
predictable directory is reported where it is written). Test code is exempt:
test runs are short-lived and their temporary files hold nothing of value.

## Why is this bad?
Every local user can create entries in `/tmp`. Whoever creates the expected
name first decides what the program writes into: a symbolic link makes it
overwrite a file of the attacker's choosing with the program's privileges
(`/etc/passwd` when it runs as root), a file the attacker owns lets them read
or change the data, and a directory they own puts every file in it under
their control. `mktemp()` only picks a name that was free when it looked, so
the same race remains (CWE-377).

## Example
```python
import tempfile


def export(rows):
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w") as out:
        out.writelines(rows)
    return path
```

## Use instead
Let `tempfile` create the file: it picks a random name and creates it
exclusively with mode 0600:
```python
import tempfile


def export(rows):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as out:
        out.writelines(rows)
    return out.name
```
For files that must keep a fixed name, put them in a directory only the
service can write (its state directory, or one made by `tempfile.mkdtemp()`).

## References
- https://cwe.mitre.org/data/definitions/377.html
- https://docs.python.org/3/library/tempfile.html#tempfile.mktemp
- https://docs.python.org/3/library/tempfile.html#tempfile.mkstemp
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator, Sequence, Union

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule, lazy_compile

_MKTEMP = frozenset({"tempfile.mktemp", "os.tempnam", "os.tmpnam"})
_TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")
_GETTEMPDIR = frozenset({"tempfile.gettempdir", "tempfile.gettempdirb"})
_NOT_RANDOM = frozenset({*_GETTEMPDIR, "tempfile.gettempprefix", "tempfile.gettempprefixb", "random.seed"})
_ENV_LOOKUPS = frozenset({"os.getenv", "os.environ.get"})
_TMP_VARIABLES = frozenset({"TMPDIR", "TMP", "TEMP", "TEMPDIR"})
_JOINS = frozenset({"os.path.join", "posixpath.join"})
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"})
_PASSTHROUGH = frozenset({"str", "os.fspath", "os.fsencode", "os.fsdecode", "os.path.abspath",
                          "os.path.normpath", "os.path.realpath", "os.path.expanduser",
                          "os.path.expandvars"})
_PASSTHROUGH_METHODS = frozenset({"resolve", "absolute", "expanduser", "encode", "decode"})
# Values an attacker cannot guess.
_RANDOM_PREFIXES = ("uuid.uuid4", "secrets.", "os.urandom", "random.", "tempfile.",
                    "oslo_utils.uuidutils.generate_uuid", "uuidutils.generate_uuid")
# Values an attacker can guess: the pid, the clock, who and where we are.
_PREDICTABLE = frozenset({
    "os.getpid", "os.getppid", "os.getuid", "os.geteuid", "os.getlogin", "getpass.getuser",
    "time.time", "time.time_ns", "time.monotonic", "time.strftime", "time.localtime", "time.gmtime",
    "time.ctime", "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
    "datetime.date.today", "socket.gethostname", "platform.node", "threading.get_ident",
    "tempfile.gettempprefix", "tempfile.gettempprefixb",
})
_WRITE_FLAGS = frozenset({"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"})
_LOG_HANDLERS = frozenset({
    "logging.FileHandler", "logging.handlers.RotatingFileHandler",
    "logging.handlers.TimedRotatingFileHandler", "logging.handlers.WatchedFileHandler",
})
_OPENERS = frozenset({"open", "io.open", "builtins.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open"})
_MODE = lazy_compile(r"[rwaxbtU+]{1,4}")
_MAX_DEPTH = 12
_PIPE_NAMESPACE = "\\\\.\\pipe\\"  # \\.\pipe\ on Windows
_CLEAN_UP = frozenset({"os.unlink", "os.remove", "os.rmdir", "shutil.rmtree", "os.path.exists",
                       "os.path.lexists", "os.path.isdir", "os.path.isfile"})


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _TempDir:
    via: str  # the code that names the temporary directory


@dataclass(frozen=True)
class _Var:
    node: ast.AST
    kind: str  # "predictable" | "random" | "unknown"


_Segment = Union[_Text, _TempDir, _Var]


@dataclass(frozen=True)
class _Verdict:
    root: str             # "/tmp", or the code naming the temporary directory
    rest: list[_Segment]  # the path below it
    confidence: Confidence
    varying: list[_Var]   # the parts of the name that are not constant
    default_of: str = ""  # "parameter `p` of `f()`" when the path is a default


class _PathShape:
    """The shape of a path expression: constant text, the temporary
    directory, and the varying parts (with how guessable each is)."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.default_of = ""

    def segments(self, expr: ast.AST, depth: int = 0, seen: frozenset = frozenset()) -> list[_Segment]:
        if depth > _MAX_DEPTH:
            return [_Var(expr, "unknown")]
        d = depth + 1
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                return [_Text(expr.value)]
            if isinstance(expr.value, bytes):
                return [_Text(expr.value.decode("latin-1"))]
            if isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool):
                return [_Text(str(expr.value))]
            return [_Var(expr, "unknown")]
        if isinstance(expr, ast.JoinedStr):
            out: list[_Segment] = []
            for value in expr.values:
                if isinstance(value, ast.Constant):
                    out.append(_Text(str(value.value)))
                elif isinstance(value, ast.FormattedValue):
                    out.extend(self.segments(value.value, d, seen))
            return out
        if isinstance(expr, ast.BinOp):
            if isinstance(expr.op, ast.Add):
                return self.segments(expr.left, d, seen) + self.segments(expr.right, d, seen)
            if isinstance(expr.op, ast.Div):  # Path("/tmp") / "name"
                return self._join([expr.left, expr.right], d, seen)
            if isinstance(expr.op, ast.Mod):
                template = self.segments(expr.left, d, seen)
                if len(template) == 1 and isinstance(template[0], _Text):
                    args = expr.right.elts if isinstance(expr.right, ast.Tuple) else [expr.right]
                    return self._fill(template[0].text, _PERCENT_FIELD, args, d, seen)
        if isinstance(expr, ast.Call):
            return self._call(expr, d, seen)
        if isinstance(expr, ast.Name):
            return self._name(expr, d, seen)
        return [_Var(expr, self.kind(expr))]

    def _call(self, call: ast.Call, d: int, seen: frozenset) -> list[_Segment]:
        ctx = self.ctx
        name = ctx.call_name(call) or ""
        func = call.func
        if name in _GETTEMPDIR:
            return [_TempDir(f"{ctx.source_of(func)}()")]
        if name in _ENV_LOOKUPS and len(call.args) == 2:
            variable = ctx.literal_values(call.args[0])
            if variable and variable[0] in _TMP_VARIABLES and self._is_temp_root(call.args[1], d, seen):
                return [_TempDir(ctx.source_of(call))]
        if name in _JOINS or name in _PATH_TYPES:
            if call.keywords or any(isinstance(a, ast.Starred) for a in call.args) or not call.args:
                return [_Var(call, self.kind(call))]
            return self._join(call.args, d, seen)
        if name in _PASSTHROUGH and len(call.args) == 1 and not call.keywords:
            return self.segments(call.args[0], d, seen)
        if isinstance(func, ast.Attribute):
            if func.attr in _PASSTHROUGH_METHODS and not call.keywords:
                return self.segments(func.value, d, seen)
            if func.attr == "joinpath" and not call.keywords:
                return self._join([func.value, *call.args], d, seen)
            if func.attr == "format" and isinstance(func.value, ast.Constant) and isinstance(func.value.value, str):
                return self._fill(func.value.value, _BRACE_FIELD, [*call.args, *(k.value for k in call.keywords)],
                                  d, seen)
        return [_Var(call, self.kind(call))]

    def _name(self, name: ast.Name, d: int, seen: frozenset) -> list[_Segment]:
        ctx = self.ctx
        if name.id in seen:
            return [_Var(name, "unknown")]
        seen = seen | {name.id}
        bindings = ctx.bindings_of(name)
        if len(bindings) == 1 and isinstance(bindings[0], (ast.With, ast.AsyncWith)):
            for item in bindings[0].items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name.id:
                    return [_Var(name, self.kind(item.context_expr))]
        if len(bindings) == 1 and isinstance(bindings[0], ast.arg):
            default = self._default(bindings[0])
            if default is not None and not self.default_of:
                shape = self.segments(default, d, seen)
                if _judge(shape) is not None:
                    func = ctx.enclosing_function(bindings[0])
                    self.default_of = f"the default of parameter `{name.id}` of `{func.name if func else '?'}()`"
                    return shape
            return [_Var(name, "unknown")]
        values = ctx.assigned_values(name)
        if not values:
            return [_Var(name, "unknown")]
        if len(values) == 1:
            return self.segments(values[0], d, seen)
        # Several assignments: use them only when each one is a predictable temporary path.
        shapes = [self.segments(v, d, seen) for v in values]
        verdicts = [_judge(s) for s in shapes]
        if all(v is not None and v.confidence is Confidence.HIGH for v in verdicts):
            return shapes[0]
        return [_Var(name, "unknown")]

    def _default(self, arg: ast.arg) -> ast.expr | None:
        arguments = self.ctx.parent(arg)
        if not isinstance(arguments, ast.arguments):
            return None
        positional = [*arguments.posonlyargs, *arguments.args]
        if arg in positional:
            index = positional.index(arg) - (len(positional) - len(arguments.defaults))
            return arguments.defaults[index] if index >= 0 else None
        if arg in arguments.kwonlyargs:
            return arguments.kw_defaults[arguments.kwonlyargs.index(arg)]
        return None

    def _is_temp_root(self, expr: ast.AST, d: int, seen: frozenset) -> bool:
        shape = self.segments(expr, d, seen)
        if len(shape) == 1 and isinstance(shape[0], _TempDir):
            return True
        return (len(shape) == 1 and isinstance(shape[0], _Text)
                and _normal(shape[0].text).rstrip("/") in _TEMP_ROOTS)

    def _join(self, parts: Sequence[ast.AST], d: int, seen: frozenset) -> list[_Segment]:
        out: list[_Segment] = []
        for part in parts:
            shape = self.segments(part, d, seen)
            if shape and isinstance(shape[0], _Text) and shape[0].text.startswith("/"):
                out = []  # an absolute component starts the path again
            if out:
                out.append(_Text("/"))
            out.extend(shape)
        return out

    def _fill(self, template: str, field: re.Pattern, args: Sequence[ast.AST], d: int,
              seen: frozenset) -> list[_Segment]:
        """`"/tmp/%s.%d" % (a, b)` / `"/tmp/{}".format(a)`: the template's text
        with the fields replaced by the arguments' shapes, in order."""
        pieces = field.split(template)
        out: list[_Segment] = [_Text(pieces[0])]
        for index, piece in enumerate(pieces[1:]):
            if index < len(args):
                out.extend(self.segments(args[index], d, seen))
            else:
                out.append(_Var(args[-1] if args else ast.Constant(""), "unknown"))
            out.append(_Text(piece))
        if len(pieces) == 1 and args:  # no field found: the arguments still vary
            out.extend(_Var(a, self.kind(a)) for a in args)
        return out

    def kind(self, expr: ast.AST) -> str:
        """How guessable a value is: "random", "predictable" or "unknown"."""
        ctx = self.ctx
        names = [ctx.call_name(n) or "" for n in ast.walk(expr) if isinstance(n, ast.Call)]
        if any(n.startswith(_RANDOM_PREFIXES) and n not in _NOT_RANDOM for n in names):
            return "random"
        if any(n in _PREDICTABLE for n in names):
            called = {id(n.func) for n in ast.walk(expr) if isinstance(n, ast.Call)}
            for node in ast.walk(expr):
                if isinstance(node, ast.Name) and node.id not in ctx.imports and not ctx.is_constant(node):
                    # a name that is neither a module nor a constant: unless it is
                    # the head of a called chain, the value depends on it
                    if not _heads_call(node, called, ctx):
                        return "unknown"
            return "predictable"
        return "unknown"


_PERCENT_FIELD = lazy_compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")
_BRACE_FIELD = lazy_compile(r"\{[^{}]*\}")


def _heads_call(name: ast.Name, called: set[int], ctx: FileContext) -> bool:
    current: ast.AST = name
    while True:
        if id(current) in called:
            return True
        parent = ctx.parent(current)
        if not isinstance(parent, ast.Attribute):
            return False
        current = parent


def _normal(text: str) -> str:
    return re.sub(r"/+", "/", text)


def _merge(shape: list[_Segment]) -> list[_Segment]:
    out: list[_Segment] = []
    for seg in shape:
        if isinstance(seg, _Text) and out and isinstance(out[-1], _Text):
            out[-1] = _Text(out[-1].text + seg.text)
        else:
            out.append(seg)
    return out


def _judge(shape: list[_Segment], default_of: str = "") -> _Verdict | None:
    """A verdict when the shape is a path inside a shared temporary directory
    whose name is not random; None otherwise."""
    shape = _merge(shape)
    if not shape:
        return None
    first = shape[0]
    if isinstance(first, _TempDir):
        root, rest = first.via, shape[1:]
    elif isinstance(first, _Text):
        text = _normal(first.text)
        match = re.match(r"(/tmp|/var/tmp|/dev/shm)(?=/|$)", text)
        if match is None:
            return None
        root = match.group(1)
        rest = [_Text(text[len(root):]), *shape[1:]]
    else:
        return None
    if all(isinstance(s, _Text) and not s.text.strip("/") for s in rest):
        return None  # the directory itself
    if not (isinstance(rest[0], _Text) and rest[0].text.startswith("/")):
        return None  # "/tmpfoo", or a temporary dir glued to a variable without a separator
    varying = [s for s in rest if isinstance(s, _Var)]
    if any(v.kind == "random" for v in varying) or any(isinstance(s, _TempDir) for s in rest):
        return None
    unknown = any(v.kind == "unknown" for v in varying)
    confidence = Confidence.MEDIUM if unknown or default_of else Confidence.HIGH
    return _Verdict(root, rest, confidence, varying, default_of)


_FIX = ("Let tempfile create the file with a random name, exclusively and with mode 0600 "
        "(tempfile.NamedTemporaryFile(delete=False) or tempfile.mkstemp()), or keep it in a "
        "directory only this service can write (its state directory, or tempfile.mkdtemp()).")


class InsecureTempFile(Rule):
    id = "py.insecure-temp-file"
    name = "Insecure temporary file"
    cwe = (377,)
    severity = Severity.MEDIUM
    bandit_ids = ("B306", "B108")
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name in _MKTEMP:
                finding = self._mktemp(ctx, call, name)
                if finding is not None:
                    yield finding
                continue
            target = _written_path(ctx, call, name)
            if target is None:
                continue
            path, sink = target
            shape = _PathShape(ctx)
            segments = shape.segments(path)
            verdict = _judge(segments, shape.default_of)
            if verdict is not None:
                yield self._predictable(ctx, call, path, sink, verdict)

    def _mktemp(self, ctx: FileContext, call: ast.Call, name: str) -> Finding | None:
        directory = ctx.argument(call, 2, "dir")
        if directory is not None:
            shape = _merge(_PathShape(ctx).segments(directory))
            if shape and isinstance(shape[0], _Var) and shape[0].kind == "random":
                return None  # a name inside a private mkdtemp()/TemporaryDirectory() directory
        prefix = ctx.argument(call, 1, "prefix")
        if prefix is not None:
            shape = _merge(_PathShape(ctx).segments(prefix))
            if shape and isinstance(shape[0], _Text) and shape[0].text.lower().startswith(_PIPE_NAMESPACE):
                return None  # a Windows named pipe: creating it refuses an existing name
        if _only_created_exclusively(ctx, call):
            return None
        return self.finding(
            ctx, call,
            message=f"`{ctx.source_of(call.func)}()` returns a temporary file name without creating the file.",
            explanation=(
                "Between the moment mktemp() picks a free name and the moment the program creates "
                "the file, another local user can create that name in the shared temporary "
                "directory, as a symbolic link to a file of their choosing or as a file they own, "
                "and so redirect or read what the program writes."),
            fix=Fix("Create the file and its name in one step: tempfile.NamedTemporaryFile(delete=False) "
                    "or fd, path = tempfile.mkstemp(); for a directory, tempfile.mkdtemp()."),
            confidence=Confidence.HIGH,
        )

    def _predictable(self, ctx: FileContext, call: ast.Call, path: ast.AST, sink: str,
                     verdict: _Verdict) -> Finding:
        root = verdict.root if verdict.root.startswith("/") else f"<{verdict.root}>"
        shown = root + "".join(
            s.text if isinstance(s, _Text) else "{" + _shown_part(ctx, s) + "}" for s in verdict.rest)
        if verdict.default_of:
            message = (f"`{sink}` writes to `{shown}`, a fixed name in a shared temporary directory, "
                       f"when {verdict.default_of.replace('the default of ', '')} keeps its default.")
            known = "this name is known in advance"
        elif not verdict.varying:
            message = f"`{sink}` writes to `{shown}`, a fixed name in a shared temporary directory."
            known = "this name is known in advance"
        else:
            parts = ", ".join(f"`{ctx.source_of(v.node, 40)}`" for v in verdict.varying[:3])
            if verdict.confidence is Confidence.HIGH:
                message = (f"`{sink}` writes to `{shown}` in a shared temporary directory; "
                           f"{parts} makes the name predictable.")
                known = f"a name built from {parts} is easy to guess"
            else:
                message = (f"`{sink}` writes to `{shown}` in a shared temporary directory; "
                           f"nothing here makes {parts} unguessable.")
                known = f"the name comes from {parts}, which nothing here shows to be random"
        trace: list[TraceStep] = []
        if isinstance(path, ast.Name):
            origin = ctx.origin(path)
            if origin.line != call.lineno:
                trace.append(TraceStep(ctx.path, origin.line, origin.note))
        directory = verdict.root if verdict.root.startswith("/") else f"the temporary directory (`{verdict.root}`)"
        explanation = (
            f"Every local user can create files in {directory}, and {known}. "
            f"Whoever creates it first decides what `{sink}` writes to: a symbolic link makes it "
            "overwrite any file this process may write (with root privileges, any file on the host), "
            "and a file or directory the attacker owns lets them read or change the data.")
        return self.finding(
            ctx, call, message=message,
            explanation=explanation, fix=Fix(_FIX), confidence=verdict.confidence, trace=trace,
        )


def _shown_part(ctx: FileContext, segment: _Segment) -> str:
    if isinstance(segment, _Var):
        return ctx.source_of(segment.node, 30)
    return segment.via if isinstance(segment, _TempDir) else segment.text


def _only_created_exclusively(ctx: FileContext, call: ast.Call) -> bool:
    """The name mktemp() returns only goes to calls that fail when it already
    exists (`os.mkfifo`, `os.mkdir`, a Unix socket's `bind`, `os.open` with
    `O_EXCL`), and to clean-up: the race then only makes them fail."""
    parent = ctx.parent(call)
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is call:
        return _exclusive_creation(ctx, parent)
    stmt = ctx.enclosing_statement(call)
    if not (isinstance(stmt, ast.Assign) and stmt.value is call and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        return False
    holder = stmt.targets[0].id
    scope = ctx.enclosing_function(call) or ctx.tree
    created = False
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Name) and node.id == holder and isinstance(node.ctx, ast.Load)):
            continue
        if (ctx.enclosing_function(node) or ctx.tree) is not scope:
            return False
        use = ctx.parent(node)
        if not (isinstance(use, ast.Call) and use.args and use.args[0] is node):
            return False
        if _exclusive_creation(ctx, use):
            created = True
        elif (ctx.call_name(use) or "") not in _CLEAN_UP:
            return False
    return created


def _exclusive_creation(ctx: FileContext, call: ast.Call) -> bool:
    name = ctx.call_name(call) or ""
    if name in ("os.mkfifo", "os.mkdir", "os.mknod"):
        return True
    if name == "os.open":
        flags = ctx.argument(call, 1, "flags")
        names = _flag_names(ctx, flags, 0) if flags is not None else None
        return bool(names and "O_EXCL" in names and "O_CREAT" in names)
    return isinstance(call.func, ast.Attribute) and call.func.attr == "bind" and len(call.args) == 1


def _written_path(ctx: FileContext, call: ast.Call, name: str) -> tuple[ast.AST, str] | None:
    """(path expression, what writes it) when `call` opens a file for writing."""
    func = call.func
    if name in _OPENERS:
        path = ctx.argument(call, 0, "file" if name in ("open", "io.open", "builtins.open") else "filename")
        mode = ctx.argument(call, 1, "mode")
        if path is not None and _writes(ctx, mode):
            return path, f"{name}()"
        return None
    if name == "os.open":
        path, flags = ctx.argument(call, 0, "path"), ctx.argument(call, 1, "flags")
        if path is not None and flags is not None and _unexclusive_write(ctx, flags):
            return path, "os.open()"
        return None
    if name in ("shutil.copy", "shutil.copy2", "shutil.copyfile"):
        dst = ctx.argument(call, 1, "dst")
        return (dst, f"{name}()") if dst is not None else None
    if name in _LOG_HANDLERS:
        path = ctx.argument(call, 0, "filename")
        return (path, f"{name}()") if path is not None else None
    if name == "logging.basicConfig":
        path = ctx.keyword(call, "filename")
        return (path, "logging.basicConfig()") if path is not None else None
    if name in ("tarfile.open", "tarfile.TarFile", "zipfile.ZipFile"):
        path = ctx.argument(call, 0, "name" if name.startswith("tarfile") else "file")
        mode = ctx.argument(call, 1, "mode")
        values = ctx.literal_values(mode) if mode is not None else None
        if path is not None and values and all(isinstance(v, str) and v[:1] in ("w", "a") for v in values):
            return path, f"{name}()"
        return None
    if name == "sqlite3.connect":
        path = ctx.argument(call, 0, "database")
        return (path, "sqlite3.connect()") if path is not None else None
    if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name)
                                                and func.value.id in ctx.module_imports):
        if func.attr in ("write_text", "write_bytes") or (
                func.attr == "open" and _writes(ctx, ctx.argument(call, 0, "mode"))):
            return func.value, f"{ctx.source_of(func, 60)}()"
    return None


def _writes(ctx: FileContext, mode: ast.AST | None) -> bool:
    """A constant mode that writes, without "x" (exclusive creation)."""
    if mode is None:
        return False
    values = ctx.literal_values(mode)
    if not values or not all(isinstance(v, str) for v in values):
        return False
    texts = [v for v in values if isinstance(v, str)]
    return all(_MODE.fullmatch(v) and any(c in v for c in "wa+") and "x" not in v for v in texts)


def _unexclusive_write(ctx: FileContext, flags: ast.AST) -> bool:
    names = _flag_names(ctx, flags, 0)
    if names is None:
        return False
    return "O_EXCL" not in names and bool(names & _WRITE_FLAGS)


def _flag_names(ctx: FileContext, expr: ast.AST, depth: int) -> set[str] | None:
    """The os.O_* names or-ed together in `expr` (through plain names)."""
    if depth > 6:
        return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        left, right = _flag_names(ctx, expr.left, depth + 1), _flag_names(ctx, expr.right, depth + 1)
        return None if left is None or right is None else left | right
    qualified = ctx.qualified_name(expr) or ""
    last = qualified.rsplit(".", 1)[-1]
    if last.startswith("O_") and qualified.startswith("os."):
        return {last}
    if isinstance(expr, ast.Name):
        values = ctx.assigned_values(expr)
        if values and len(values) == 1:
            return _flag_names(ctx, values[0], depth + 1)
    return None


RULE = InsecureTempFile()
