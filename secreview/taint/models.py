"""Load and validate the framework models (`secreview/models/*.toml`).

The files are data (see `secreview/models/README.md`); this module turns them
into lookup tables the extractor consults for every expression, and rejects
anything malformed with an error that names the file and the entry.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from secreview.taint.facts import ALL_KINDS

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
KINDS = frozenset({
    "shell", "code", "deserialization", "sql", "path", "archive", "xxe", "xpath", "ldap", "xss",
    "redirect", "ssrf", "trust", "header", "log", "template", "redos",
})
_SECTIONS = {"library", "sources", "routes", "sinks", "sanitizers", "guards", "propagators"}
_KEYS = {
    "sources": {"path", "parameter", "annotation", "attributes", "base", "label"},
    "routes": {"decorator", "parameters", "returns", "label"},
    "sinks": {"call", "member", "receiver", "store", "args", "kind", "note", "when", "cwe"},
    "sanitizers": {"call", "member", "receiver", "kinds"},
    "guards": {"call", "member", "receiver", "arg", "kinds"},
    "propagators": {"call", "member", "receiver", "taint"},
}
_WHEN_KEYS = {"keyword_true", "unless_keyword", "positions"}
_ARG = re.compile(r"^(\d+)\[0\]$")


class ModelError(Exception):
    """A model file is malformed."""


@dataclass(frozen=True)
class SinkSpec:
    kind: str
    args: tuple[int | str, ...]
    note: str
    keyword_true: str | None = None
    unless_keyword: tuple[tuple[str, frozenset[str]], ...] = ()
    positions: tuple[tuple[str, int], ...] = ()  # keyword name -> its position
    receiver: re.Pattern[str] | None = None
    cwe: tuple[int, ...] = ()
    library: str = ""


@dataclass(frozen=True)
class CallSpec:
    """A sanitizer, guard or propagator (kinds: what it clears)."""

    kinds: frozenset[str]
    receiver: re.Pattern[str] | None = None
    arg: int | str = 0


@dataclass(frozen=True)
class ParamSource:
    names: frozenset[str]
    annotations: frozenset[str]
    attributes: frozenset[str] | None  # None: the whole parameter
    label: str


@dataclass(frozen=True)
class Route:
    parameters: bool
    returns: str | None
    label: str


@dataclass
class Models:
    source_paths: dict[str, str] = field(default_factory=dict)  # path prefix -> label
    param_sources: list[ParamSource] = field(default_factory=list)
    base_sources: dict[str, tuple[frozenset[str], str]] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)  # decorator path -> route
    sinks: dict[str, list[SinkSpec]] = field(default_factory=dict)  # callee path -> specs
    member_sinks: dict[str, list[SinkSpec]] = field(default_factory=dict)  # method name -> specs
    store_sinks: dict[str, SinkSpec] = field(default_factory=dict)
    sanitizers: dict[str, CallSpec] = field(default_factory=dict)
    member_sanitizers: dict[str, list[CallSpec]] = field(default_factory=dict)
    guards: dict[str, CallSpec] = field(default_factory=dict)
    member_guards: dict[str, list[CallSpec]] = field(default_factory=dict)
    no_propagation: set[str] = field(default_factory=set)
    member_no_propagation: dict[str, list[re.Pattern[str] | None]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # Quick filters: the first component of every source path, every parameter
    # name that may be a source, and the last component of every sink.
    source_heads: set[str] = field(default_factory=set)

    def source_for(self, path: str) -> str | None:
        """The label of the source `path` reads from, if any (prefix match at
        a path boundary: `.`, `(`, `[`)."""
        if path.split(".", 1)[0].split("(", 1)[0].split("[", 1)[0] not in self.source_heads:
            return None
        probe = path
        while True:
            label = self.source_paths.get(probe)
            if label is not None:
                return label
            cut = max(probe.rfind("."), probe.rfind("("), probe.rfind("["))
            if cut <= 0:
                return None
            probe = probe[:cut]


def _strings(where: str, entry: dict[str, Any], key: str, required: bool = False) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        if required:
            raise ModelError(f"{where}: missing `{key}`")
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ModelError(f"{where}: `{key}` must be a non-empty string or list of strings")
    return tuple(value)


def _regex(where: str, entry: dict[str, Any]) -> re.Pattern[str] | None:
    text = entry.get("receiver")
    if text is None:
        return None
    if not isinstance(text, str):
        raise ModelError(f"{where}: `receiver` must be a regular expression string")
    try:
        return re.compile(text)
    except re.error as exc:
        raise ModelError(f"{where}: `receiver` is not a valid regular expression ({exc})") from None


def _kinds(where: str, entry: dict[str, Any]) -> frozenset[str]:
    kinds = frozenset(_strings(where, entry, "kinds", required=True))
    unknown = kinds - KINDS - {ALL_KINDS}
    if unknown:
        raise ModelError(f"{where}: unknown kind(s) {sorted(unknown)} (known: {', '.join(sorted(KINDS))}, *)")
    return kinds


def _targets(where: str, entry: dict[str, Any], allow_store: bool = False) -> tuple[str, tuple[str, ...]]:
    keys = ["call", "member"] + (["store"] if allow_store else [])
    present = [k for k in keys if k in entry]
    if len(present) != 1:
        raise ModelError(f"{where}: exactly one of {', '.join('`' + k + '`' for k in keys)} is required")
    if "receiver" in entry and present[0] != "member":
        raise ModelError(f"{where}: `receiver` only applies to `member` entries")
    return present[0], _strings(where, entry, present[0], required=True)


def _args(where: str, entry: dict[str, Any]) -> tuple[int | str, ...]:
    args = entry.get("args")
    if not isinstance(args, list) or not args:
        raise ModelError(f"{where}: `args` must be a non-empty list of positions and keyword names")
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, (int, str)) or (isinstance(arg, int) and arg < 0):
            raise ModelError(f"{where}: bad argument {arg!r} in `args`")
        if isinstance(arg, str) and not (arg in ("self", "*") or arg.isidentifier() or _ARG.match(arg)):
            raise ModelError(f"{where}: bad argument {arg!r} in `args` "
                             "(a position, a keyword name, \"self\", \"*\" or \"0[0]\")")
    return tuple(args)


def _check_keys(where: str, section: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ModelError(f"{where}: each [[{section}]] entry must be a table")
    unknown = set(entry) - _KEYS[section]
    if unknown:
        raise ModelError(f"{where}: unknown key(s) {sorted(unknown)} (known: {', '.join(sorted(_KEYS[section]))})")
    return entry


def load_file(path: Path, models: Models) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: cannot read model file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - _SECTIONS
    if unknown:
        raise ModelError(f"{path}: unknown section(s) {sorted(unknown)} (known: {', '.join(sorted(_SECTIONS))})")
    library = data.get("library", {})
    if not isinstance(library, dict) or not isinstance(library.get("name"), str):
        raise ModelError(f"{path}: a [library] table with a `name` is required")
    name = library["name"]
    for section in _KEYS:
        entries = data.get(section, [])
        if not isinstance(entries, list):
            raise ModelError(f"{path}: `{section}` must be an array of tables ([[{section}]])")
        for number, raw in enumerate(entries, start=1):
            where = f"{path.name}: [[{section}]] #{number}"
            entry = _check_keys(where, section, raw)
            _LOADERS[section](where, entry, models, name)
    models.files.append(str(path))


def _label(where: str, entry: dict[str, Any]) -> str:
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ModelError(f"{where}: `label` (how traces name the data) is required")
    return label


def _load_source(where: str, entry: dict[str, Any], models: Models, library: str) -> None:
    label = _label(where, entry)
    shapes = [k for k in ("path", "parameter", "base") if k in entry]
    if "annotation" in entry and "parameter" not in shapes:
        shapes.append("parameter")
    if len(set(shapes)) != 1:
        raise ModelError(f"{where}: exactly one of `path`, `parameter`/`annotation` or `base` is required")
    attributes = _strings(where, entry, "attributes")
    if shapes[0] == "path":
        if attributes:
            raise ModelError(f"{where}: `attributes` does not apply to a `path` source")
        for path in _strings(where, entry, "path", required=True):
            models.source_paths[path] = label
            models.source_heads.add(path.split(".", 1)[0].split("(", 1)[0])
    elif shapes[0] == "parameter":
        models.param_sources.append(ParamSource(
            frozenset(_strings(where, entry, "parameter")), frozenset(_strings(where, entry, "annotation")),
            frozenset(attributes) if attributes else None, label))
    else:
        if not attributes:
            raise ModelError(f"{where}: a `base` source needs the `attributes` of self that are untrusted")
        for base in _strings(where, entry, "base", required=True):
            models.base_sources[base] = (frozenset(attributes), label)


def _load_route(where: str, entry: dict[str, Any], models: Models, library: str) -> None:
    label = _label(where, entry)
    parameters = entry.get("parameters", False)
    if not isinstance(parameters, bool):
        raise ModelError(f"{where}: `parameters` must be true or false")
    returns = entry.get("returns")
    if returns is not None and returns not in KINDS:
        raise ModelError(f"{where}: `returns` must be a sink kind, not {returns!r}")
    for decorator in _strings(where, entry, "decorator", required=True):
        models.routes[decorator] = Route(parameters, returns, label)


def _load_sink(where: str, entry: dict[str, Any], models: Models, library: str) -> None:
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ModelError(f"{where}: `kind` must be one of {', '.join(sorted(KINDS))}, not {kind!r}")
    target, names = _targets(where, entry, allow_store=True)
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise ModelError(f"{where}: `note` must be a string")
    cwe = entry.get("cwe", [])
    if not isinstance(cwe, list) or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in cwe):
        raise ModelError(f"{where}: `cwe` must be a list of CWE numbers")
    when = entry.get("when", {})
    if not isinstance(when, dict) or set(when) - _WHEN_KEYS:
        raise ModelError(f"{where}: `when` must be a table with only {', '.join(sorted(_WHEN_KEYS))}")
    keyword_true = when.get("keyword_true")
    if keyword_true is not None and (not isinstance(keyword_true, str)
                                     or not all(p.isidentifier() for p in keyword_true.split("."))):
        raise ModelError(f"{where}: `when.keyword_true` must be a keyword name (or `keyword.flag`)")
    unless = when.get("unless_keyword", {})
    if not isinstance(unless, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in unless.values()):
        raise ModelError(f"{where}: `when.unless_keyword` must map keyword names to lists of values")
    positions = when.get("positions", {})
    if not isinstance(positions, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in positions.values()):
        raise ModelError(f"{where}: `when.positions` must map keyword names to argument positions")
    args = ("self",) if target == "store" else _args(where, entry)
    spec = SinkSpec(kind, args, note, keyword_true,
                    tuple((k, frozenset(v)) for k, v in unless.items()), tuple(positions.items()),
                    _regex(where, entry) if target == "member" else None, tuple(cwe), library)
    for name in names:
        if target == "call":
            models.sinks.setdefault(name, []).append(spec)
        elif target == "member":
            models.member_sinks.setdefault(name, []).append(spec)
        else:
            models.store_sinks[name] = spec


def _load_sanitizer(where: str, entry: dict[str, Any], models: Models, library: str) -> None:
    kinds = _kinds(where, entry)
    target, names = _targets(where, entry)
    spec = CallSpec(kinds, _regex(where, entry))
    for name in names:
        if target == "call":
            old = models.sanitizers.get(name)
            models.sanitizers[name] = CallSpec(kinds | old.kinds) if old else spec
        else:
            models.member_sanitizers.setdefault(name, []).append(spec)


def _load_guard(where: str, entry: dict[str, Any], models: Models, library: str) -> None:
    kinds = _kinds(where, entry)
    target, names = _targets(where, entry)
    arg = entry.get("arg", 0)
    if isinstance(arg, bool) or not (isinstance(arg, int) and arg >= 0 or arg == "self"):
        raise ModelError(f"{where}: `arg` must be a position or \"self\"")
    spec = CallSpec(kinds, _regex(where, entry), arg)
    for name in names:
        if target == "call":
            models.guards[name] = spec
        else:
            models.member_guards.setdefault(name, []).append(spec)


def _load_propagator(where: str, entry: dict[str, Any], models: Models, library: str) -> None:
    if entry.get("taint") != "none":
        raise ModelError(f"{where}: `taint` must be \"none\" (other calls propagate by default)")
    target, names = _targets(where, entry)
    for name in names:
        if target == "call":
            models.no_propagation.add(name)
        else:
            models.member_no_propagation.setdefault(name, []).append(_regex(where, entry))


_LOADERS = {
    "sources": _load_source,
    "routes": _load_route,
    "sinks": _load_sink,
    "sanitizers": _load_sanitizer,
    "guards": _load_guard,
    "propagators": _load_propagator,
}


def load_models(extra: Iterable[str] = (), bundled: Models | None = None) -> Models:
    """The bundled models (`bundled`, if given: as a cache kept them) plus
    the user's files (`extra`), validated. The user's files are read afresh
    on every call (they change while one process lives, in an editor
    integration or a test)."""
    extra = tuple(extra)
    if not extra:
        return bundled or _bundled()
    models = copy.deepcopy(bundled or _bundled())
    for path in extra:
        load_file(Path(path), models)
    return models


def bundled_models() -> Models:
    """The models bundled with secreview (parsed once per process)."""
    return _bundled()


@lru_cache(maxsize=1)
def _bundled() -> Models:
    models = Models()
    try:
        files = sorted(MODELS_DIR.glob("*.toml"))
    except OSError as exc:
        raise ModelError(f"cannot read the bundled models in {MODELS_DIR} ({exc})") from None
    if not files:
        raise ModelError(f"no model files found in {MODELS_DIR} (is the package installed completely?)")
    for path in files:
        load_file(path, models)
    return models
