"""Route the LLM reviewer's attention: which weakness families a file makes relevant.

The knowledge is data (`families.toml` beside this module): each family lists
cues (imports, called names, call keywords, decorators, text patterns) and is
relevant to a file when any cue matches, or always when it says so. The prompt
then asks only about those families, so a file without a query is never asked
about SQL injection.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

BUNDLED = Path(__file__).resolve().with_name("families.toml")
CUE_SETS = "cue-sets"
_CUE_KEYS = ("imports", "calls", "dynamic_calls", "keywords", "decorators", "text")
_CUE_KEY_SET = frozenset(_CUE_KEYS)
_FAMILY_KEYS = frozenset({"title", "cwes", "question", "always", "uses", *_CUE_KEYS})
_ANY = object()  # a keyword cue without a value matches any value


class FamilyError(Exception):
    """A families file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Family:
    """A weakness family as the prompt presents it."""

    id: str
    title: str
    cwes: tuple[int, ...]
    question: str


@dataclass(frozen=True)
class Cues:
    """Features of a file that make a family worth asking about (any one suffices)."""

    imports: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    dynamic_calls: tuple[str, ...] = ()
    keywords: tuple[tuple[str, Any], ...] = ()
    decorators: tuple[str, ...] = ()
    text: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class RoutedFamily:
    """A family with the cues that make it relevant."""

    family: Family
    always: bool = False
    cues: tuple[Cues, ...] = ()


@dataclass
class Features:
    """What a file contains, as the cues see it."""

    text: str
    imports: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    dynamic_calls: set[str] = field(default_factory=set)
    keyword_names: set[str] = field(default_factory=set)
    keyword_values: set[tuple[str, type, Any]] = field(default_factory=set)
    decorators: set[str] = field(default_factory=set)


# ---------------------------------------------------------------- loading

def load_families(path: str | None = None) -> tuple[RoutedFamily, ...]:
    """The families in `path` (default: the bundled file, read once)."""
    if path is None:
        return _bundled()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _bundled() -> tuple[RoutedFamily, ...]:
    return _load(BUNDLED)


def _load(path: Path) -> tuple[RoutedFamily, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FamilyError(f"{path}: cannot read families file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise FamilyError(f"{path}: not valid TOML ({exc})") from None
    raw_sets = data.pop(CUE_SETS, {})
    if not isinstance(raw_sets, dict):
        raise FamilyError(f"{path}: [{CUE_SETS}] must be a table of cue tables")
    sets = {name: _cue_table(path, f"{CUE_SETS}.{name}", entry) for name, entry in raw_sets.items()}
    return tuple(_family(path, family_id, _table(path, family_id, entry), sets)
                 for family_id, entry in data.items())


def _table(path: Path, where: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise FamilyError(f"{path}: [{where}] must be a table")
    return entry


def _known_keys(where: str, entry: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(entry) - allowed
    if unknown:
        raise FamilyError(f"{where}: unknown key(s) {sorted(unknown)} (known: {', '.join(sorted(allowed))})")


def _cue_table(path: Path, name: str, entry: Any) -> Cues:
    where = f"{path}: [{name}]"
    _known_keys(where, _table(path, name, entry), _CUE_KEY_SET)
    return _cues(where, entry)


def _family(path: Path, family_id: str, entry: dict[str, Any], sets: dict[str, Cues]) -> RoutedFamily:
    where = f"{path}: [{family_id}]"
    _known_keys(where, entry, _FAMILY_KEYS)
    family = Family(family_id, _text(where, entry, "title"), _cwes(where, entry), _text(where, entry, "question"))
    always = entry.get("always", False)
    if not isinstance(always, bool):
        raise FamilyError(f"{where} always: must be true or false")
    cues = [_cue_set(where, name, sets) for name in _strings(where, entry, "uses")]
    own = _cues(where, entry)
    if own != Cues():
        cues.append(own)
    if not cues and not always:
        raise FamilyError(f"{where}: no cues (give {', '.join(_CUE_KEYS)}, uses, or always = true)")
    return RoutedFamily(family, always, tuple(cues))


def _cue_set(where: str, name: str, sets: dict[str, Cues]) -> Cues:
    if name in sets:
        return sets[name]
    raise FamilyError(f"{where} uses: unknown cue set {name!r} (known: {', '.join(sorted(sets)) or 'none'})")


def _text(where: str, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FamilyError(f"{where} {key}: a non-empty string is required")
    return value.strip()


def _cwes(where: str, entry: dict[str, Any]) -> tuple[int, ...]:
    value = entry.get("cwes")
    if (not isinstance(value, list) or not value
            or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in value)):
        raise FamilyError(f"{where} cwes: a non-empty list of CWE numbers is required")
    return tuple(value)


def _strings(where: str, entry: dict[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FamilyError(f"{where} {key}: must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _cues(where: str, entry: dict[str, Any]) -> Cues:
    return Cues(
        imports=_strings(where, entry, "imports"),
        calls=_strings(where, entry, "calls"),
        dynamic_calls=_strings(where, entry, "dynamic_calls"),
        keywords=tuple(_keyword(where, cue) for cue in _strings(where, entry, "keywords")),
        decorators=_strings(where, entry, "decorators"),
        text=tuple(_pattern(where, cue) for cue in _strings(where, entry, "text")),
    )


def _keyword(where: str, cue: str) -> tuple[str, Any]:
    name, sep, literal = cue.partition("=")
    name = name.strip()
    if not name.isidentifier():
        raise FamilyError(f"{where} keywords: {cue!r} is not `name` or `name=literal`")
    if not sep:
        return name, _ANY
    try:
        return name, ast.literal_eval(literal.strip())
    except (ValueError, SyntaxError):
        raise FamilyError(f"{where} keywords: {cue!r} does not end in a Python literal") from None


def _pattern(where: str, cue: str) -> re.Pattern[str]:
    try:
        return re.compile(cue)
    except re.error as exc:
        raise FamilyError(f"{where} text: bad regular expression {cue!r} ({exc})") from None


# ---------------------------------------------------------------- routing

def relevant_families(text: str, tree: ast.AST | None = None) -> list[Family]:
    """The bundled families `text` makes relevant, by first CWE then id.

    `tree` is the parsed `text` when the caller has it; a file that does not
    parse is routed on its text cues alone.
    """
    features = _features(text, tree)
    found = {routed.family for routed in load_families() if _relevant(routed, features)}
    return sorted(found, key=lambda family: (family.cwes[0], family.id))


def format_families(families: Iterable[Family]) -> str:
    """A bullet list for a prompt: '- SQL injection (CWE-89): <question>'."""
    return "\n".join(
        f"- {family.title} ({', '.join(f'CWE-{cwe}' for cwe in family.cwes)}): {family.question}"
        for family in families)


def _features(text: str, tree: ast.AST | None = None) -> Features:
    """The imports, calls, keywords and decorators of `text` (text only if it does not parse)."""
    features = Features(text)
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return features
    aliases = _imports(tree, features.imports)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            _call(node, aliases, features)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                features.decorators.update(_names(target, aliases))
    return features


def _imports(tree: ast.AST, imports: set[str]) -> dict[str, str]:
    """Fill `imports` with the modules imported anywhere; return local name -> qualified name."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports.add(alias.name)
                local = alias.asname or alias.name.split(".", 1)[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.add(node.module)
            for alias in node.names:
                if alias.name != "*":
                    imports.add(f"{node.module}.{alias.name}")
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _call(node: ast.Call, aliases: dict[str, str], features: Features) -> None:
    names = _names(node.func, aliases)
    features.calls.update(names)
    if not _literal_first_argument(node):
        features.dynamic_calls.update(names)
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        features.keyword_names.add(keyword.arg)
        if isinstance(keyword.value, ast.Constant):
            value = keyword.value.value
            features.keyword_values.add((keyword.arg, type(value), value))


def _literal_first_argument(node: ast.Call) -> bool:
    first = node.args[0] if node.args else next(
        (k.value for k in node.keywords if k.arg in ("pattern", "source")), None)
    return isinstance(first, ast.Constant) and isinstance(first.value, (str, bytes))


def _names(expr: ast.expr, aliases: dict[str, str]) -> set[str]:
    """The last name component of a called expression and its qualified name, when there is one."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        head = aliases.get(expr.id, f"builtins.{expr.id}" if not parts else expr.id)
        return {(parts or [expr.id])[0], ".".join([head, *reversed(parts)])}
    return {parts[0]} if parts else set()


def _relevant(routed: RoutedFamily, features: Features) -> bool:
    return routed.always or any(_matches(cues, features) for cues in routed.cues)


def _matches(cues: Cues, features: Features) -> bool:
    return (any(_imported(prefix, features.imports) for prefix in cues.imports)
            or any(_named(cue, features.calls) for cue in cues.calls)
            or any(_named(cue, features.dynamic_calls) for cue in cues.dynamic_calls)
            or any(_named(cue, features.decorators) for cue in cues.decorators)
            or any(_keyword_found(cue, features) for cue in cues.keywords)
            or any(pattern.search(features.text) for pattern in cues.text))


def _imported(prefix: str, imports: set[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for module in imports)


def _named(cue: str, names: set[str]) -> bool:
    """An undotted cue matches a last name component; a dotted one the end of a qualified name."""
    if "." not in cue:
        return cue in names
    return any(name == cue or name.endswith("." + cue) for name in names)


def _keyword_found(cue: tuple[str, Any], features: Features) -> bool:
    name, value = cue
    if value is _ANY:
        return name in features.keyword_names
    return (name, type(value), value) in features.keyword_values
