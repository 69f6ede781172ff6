"""An edited file's unchanged functions keep the facts of its last extraction.

After a one-file edit the review extracts the edited file's facts again: on
Nova's largest module (14,000 lines, 451 functions) that took 0.125 s of a
0.5 s review, nearly all of it spent on functions the edit did not touch.

A function's facts come from its own text and from what the rest of the file
says about the names it uses. The extractor works in *units*: a function not
nested in another, with the functions nested in it. A unit keeps the facts it
had (`Reuse.take`) when all of these hold:

- its text and its first line are as they were (so its nodes' positions are);
- the file's *frame* is as it was: the text of every module-level and
  class-level statement that is not a def, in order (class headers with
  their bases and decorators included), the module's name and aliases, and
  the project's modules. Positions are left out: no function's facts hold
  a line of the frame, so an edit that shifts it keeps the units above;
- no name the frame reads changed its *signature*, and neither did any name
  the unit reads. A name's signature is what the file says of it outside
  the frame: what it imports (anywhere in the file, as the extractor's
  import table does), its module-level def, and whether the file rebinds it
  or declares it global anywhere;
- if the unit's extraction read the values its class gives `self`
  attributes (`FileContext.instance_attribute_values`, which any method of
  the class may assign), its whole class is as it was, and no name read in
  the class changed.

Anything else is extracted again. The checks rest on a `Fingerprint` kept
with the facts, made for files with at least `MIN_FUNCTIONS` functions
(smaller files are quick to extract whole). `tests/test_reuse.py` edits real
files in the ways each condition guards against and compares the result with
a full extraction.
"""

from __future__ import annotations

import ast
import hashlib
from bisect import bisect_left
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secreview.taint.extract import ModuleFacts, _ModuleExtractor

MIN_FUNCTIONS = 24  # files with fewer functions are extracted whole, without a fingerprint

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)

# A unit's record: (qualname, first line, last line, text digest, index of its
# first function in `ModuleFacts.functions`, how many, index of its first dead
# range in `ModuleFacts.dead`, how many, its clean sinks, bounded functions,
# (first, last, digest) of its class when it read the class's attributes).
QUALNAME, FIRST, LAST, DIGEST, FUNCTIONS, COUNT, DEAD, DEAD_COUNT, SINKS, BOUNDED, CLASS = range(11)


class Fingerprint:
    """What a file's facts were extracted from, as far as reusing them needs."""

    __slots__ = ("frame", "names", "rebound", "declared", "units")

    def __init__(self, frame: bytes, names: dict[str, tuple], rebound: frozenset[str], declared: frozenset[str],
                 units: list[tuple]):
        self.frame = frame
        self.names = names  # name -> signature (`Reuse._names`)
        self.rebound = rebound  # names bound anywhere in the file other than by imports
        self.declared = declared  # names declared `global` anywhere
        self.units = units

    def _fields(self) -> tuple:
        return (self.frame, self.names, self.rebound, self.declared, self.units)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and self._fields() == other._fields()

    def __getstate__(self) -> tuple:
        return self._fields()

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(self.__slots__, state):
            setattr(self, name, value)


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno, *(d.lineno for d in decorators)]) if decorators else node.lineno  # type: ignore[attr-defined]


def _whole(fingerprint: Fingerprint, facts: "ModuleFacts") -> bool:
    """Whether the units' records account for every function and dead range
    of `facts` (the module's own code first)."""
    units = fingerprint.units
    return (1 + sum(u[COUNT] for u in units) == len(facts.functions)
            and (not units or units[-1][DEAD] + units[-1][DEAD_COUNT] == len(facts.dead)))


def _frame_names(parts: list[ast.AST]) -> set[str]:
    """The names the frame reads (a name it only binds is not read)."""
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)
            and not isinstance(n.ctx, ast.Store)}


class Reuse:
    """One extraction's side of the reuse: the fingerprint it is making, and
    which of the previous extraction's units it may take."""

    def __init__(self, mod: "_ModuleExtractor", previous: "ModuleFacts | None"):
        ctx = mod.ctx
        self.mod = mod
        self.ctx = ctx
        self.lines = ctx.module.lines
        frame, frame_parts = self._frame()
        names = self._names()
        rebound = frozenset(ctx._rebound_names)
        declared = frozenset(n for g in ctx.nodes(ast.Global) for n in g.names)  # type: ignore[attr-defined]
        self.fingerprint = Fingerprint(frame, names, rebound, declared, [])
        self.units: list[tuple[ast.AST, int, int, int, int]] = self._units()  # (node, first, last, start, end)
        self.old: dict[tuple[str, int], tuple] = {}  # (qualname, first line) -> record, of units that may be taken
        self.changed_lines: list[int] = []  # where the names whose signatures changed are used
        self.previous = previous
        old = previous.fingerprint if previous is not None else None
        if old is None or old.frame != frame or not _whole(old, previous):  # type: ignore[arg-type]
            return
        changed = {n for n in names.keys() | old.names.keys() if names.get(n) != old.names.get(n)}
        changed |= rebound ^ old.rebound
        changed |= declared ^ old.declared
        if changed and changed & _frame_names(frame_parts):
            return
        self.changed_lines = sorted(n.lineno for n in ctx.nodes(ast.Name) if n.id in changed)  # type: ignore[attr-defined]
        self.old = {(unit[QUALNAME], unit[FIRST]): unit for unit in old.units}

    # ------------------------------------------------------------ fingerprint
    def _frame(self) -> tuple[bytes, list[ast.AST]]:
        """The digest of everything but the defs' bodies, and the parts of
        the tree it covers whose names are read (`_frame_names`)."""
        mod = self.mod
        out = hashlib.blake2b(digest_size=16)
        project = mod.project.digest()
        out.update(f"{mod.module}\0{mod.package}\0{sorted(mod.aliases.items())}\0".encode())
        out.update(project)
        parts: list[ast.AST] = []
        stack: list[list[ast.stmt]] = [self.ctx.tree.body]
        while stack:
            for stmt in stack.pop():
                if isinstance(stmt, _DEFS):
                    continue
                if isinstance(stmt, ast.ClassDef):
                    first = _first_line(stmt)
                    last = max(stmt.lineno, stmt.body[0].lineno - 1)
                    out.update(b"\0class\0")
                    out.update(self._text(first, last))
                    parts.extend([*stmt.decorator_list, *stmt.bases, *stmt.keywords])
                    stack.append(stmt.body)
                    continue
                end = stmt.end_lineno or stmt.lineno
                out.update(b"\0")
                out.update(self._text(stmt.lineno, end))
                parts.append(stmt)
        return out.digest(), parts

    def _names(self) -> dict[str, tuple]:
        """Each name's signature: what the file says of it outside the frame.
        Not in it, as they follow from the frame and the names it reads
        (both checked): the name's other module-level bindings, whether it
        shadows a builtin, and what the module's own code gives it (its
        inferred type, its exported labels)."""
        ctx, defs = self.ctx, self.mod.defs
        imports, module_imports, single = ctx.imports, ctx.module_imports, ctx._single_import
        return {name: (imports.get(name), module_imports.get(name), single.get(name), defs.get(name))
                for name in {*imports, *module_imports, *defs}}

    def _units(self) -> list[tuple[ast.AST, int, int, int, int]]:
        units: list[tuple[ast.AST, int, int, int, int]] = []
        functions = self.ctx.functions
        last = 0
        for index, node in enumerate(functions):
            if node.lineno <= last:  # nested in the unit before
                continue
            if units:
                units[-1] = units[-1][:4] + (index,)
            last = node.end_lineno or node.lineno
            units.append((node, _first_line(node), last, index, len(functions)))
        return units

    # ----------------------------------------------------------------- reuse
    def take(self, node: ast.AST, qualname: str, first: int, last: int, digest: bytes) -> tuple | None:
        """The previous record of the unit at `node`, if its facts still hold."""
        unit = self.old.get((qualname, first))
        if unit is None or unit[LAST] != last or unit[DIGEST] != digest:
            return None
        if self._reads_changed(first, last):
            return None
        if unit[CLASS] is not None:
            klass = self.ctx.parent(node)
            if not isinstance(klass, ast.ClassDef):
                return None
            if self._class_key(klass) != unit[CLASS] or self._reads_changed(*unit[CLASS][:2]):
                return None
        return unit

    def _reads_changed(self, first: int, last: int) -> bool:
        lines = self.changed_lines
        at = bisect_left(lines, first)
        return at < len(lines) and lines[at] <= last

    def _text(self, first: int, last: int) -> bytes:
        """Lines `first` to `last` of the file."""
        return "\n".join(self.lines[first - 1:last]).encode("utf-8", "surrogatepass")

    def unit_digest(self, first: int, last: int) -> bytes:
        return hashlib.blake2b(self._text(first, last), digest_size=16).digest()

    def class_key(self, node: ast.AST) -> tuple[int, int, bytes] | None:
        klass = self.ctx.parent(node)
        return self._class_key(klass) if isinstance(klass, ast.ClassDef) else None

    def _class_key(self, klass: ast.ClassDef) -> tuple[int, int, bytes]:
        first, last = _first_line(klass), klass.end_lineno or klass.lineno
        return (first, last, self.unit_digest(first, last))

