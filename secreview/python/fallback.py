"""Fallback Python parser for source the running interpreter's :mod:`ast` rejects.

``ast.parse`` only understands the grammar of the interpreter that runs it.  Real
projects use newer syntax (PEP 701 f-strings, PEP 695 generics, PEP 758
``except A, B:``, PEP 750 t-strings ...).  :func:`parse_fallback` parses such
source with libcst's native parser (which covers Python 3.0-3.15 syntax) and
converts the concrete syntax tree into real :mod:`ast` nodes shaped like the
output of CPython 3.14's ``ast.parse``, with exact positions:

* ``lineno`` / ``end_lineno`` are 1-based physical lines (``\\n``, ``\\r\\n`` and a
  lone ``\\r`` all end a line, as in CPython);
* ``col_offset`` / ``end_col_offset`` are UTF-8 *byte* offsets, exactly like
  CPython's.

How positions are computed
--------------------------
libcst's ``PositionProvider`` regenerates the whole module through Python-level
code generation and is slow (about 20x ``ast.parse`` on its own).  Instead the
converter walks the CST *in source order* and keeps a cursor (a character
offset) into the original text.  Every token the walk meets (keyword, operator,
name, literal, bracket, comma ...) is located by skipping whitespace, comments
and line continuations from the cursor with one C-level regex match and
checking that the token text really starts there; the node positions follow the
CPython grammar's rules (a node spans from its first to its last token, the
parentheses of a group are not part of the inner node, a parenthesised tuple or
generator expression includes its innermost parentheses, ...).  Any mismatch
between the walk and the text raises :class:`FallbackConversionError` instead of
producing wrong positions.

Host compatibility
------------------
Nodes the host's :mod:`ast` lacks (``TypeAlias``, ``TypeVar``, ``ParamSpec``,
``TypeVarTuple`` before 3.12; ``TemplateStr`` and ``Interpolation`` before
3.14) are provided as compatible subclasses of ``ast.stmt`` / ``ast.expr`` /
``ast.AST`` with the same class name, ``_fields`` and ``_attributes`` as in
CPython 3.14, so ``ast.walk``, ``ast.dump`` and ``NodeVisitor.visit_TypeAlias``
work unchanged.  ``FunctionDef`` / ``AsyncFunctionDef`` / ``ClassDef`` always get a
``type_params`` attribute; when it is non-empty on a host whose class lacks the
field, a same-named subclass whose ``_fields`` include ``type_params`` is used so
that ``ast.walk`` also reaches the type parameters (the same is done for the
3.13 ``default_value`` field of type parameters on 3.12).  The classes are
exported here (``fallback.TypeAlias`` ...) for ``isinstance`` checks; they are
the host's own classes wherever it has them.  ``compile()`` and ``ast.unparse``
of the host naturally do not support the stand-ins.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import unicodedata
import warnings
from bisect import bisect_right
from typing import Any, Callable, Iterable, Sequence

import libcst as cst

__all__ = [
    "FallbackConversionError",
    "Interpolation",
    "ParamSpec",
    "TemplateStr",
    "TypeAlias",
    "TypeVar",
    "TypeVarTuple",
    "describe_syntax_error",
    "parse_fallback",
    "type_param",
]


class FallbackConversionError(RuntimeError):
    """Internal error: the CST walk lost track of the source text.

    This indicates a bug in the converter (never a problem of the parsed file);
    it is raised instead of returning a tree with wrong positions.
    """


# ---------------------------------------------------------------------------
# AST classes missing from older hosts
# ---------------------------------------------------------------------------

_POS_ATTRS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _compat_class(name: str, base: type, fields: tuple[str, ...], doc: str) -> type:
    """Return ``ast.<name>`` if the host has it, else a compatible stand-in."""
    existing = getattr(ast, name, None)
    if existing is not None:
        return existing
    return type(
        name,
        (base,),
        {"_fields": fields, "_attributes": _POS_ATTRS, "__module__": __name__, "__doc__": doc},
    )


type_param = _compat_class("type_param", ast.AST, (), "Base class of PEP 695 type parameters.")
TypeVar = _compat_class(
    "TypeVar", type_param, ("name", "bound", "default_value"), "TypeVar(identifier name, expr? bound, expr? default_value)"
)
ParamSpec = _compat_class("ParamSpec", type_param, ("name", "default_value"), "ParamSpec(identifier name, expr? default_value)")
TypeVarTuple = _compat_class(
    "TypeVarTuple", type_param, ("name", "default_value"), "TypeVarTuple(identifier name, expr? default_value)"
)
TypeAlias = _compat_class(
    "TypeAlias", ast.stmt, ("name", "type_params", "value"), "TypeAlias(expr name, type_param* type_params, expr value)"
)
TemplateStr = _compat_class("TemplateStr", ast.expr, ("values",), "TemplateStr(expr* values)")
Interpolation = _compat_class(
    "Interpolation",
    ast.expr,
    ("value", "str", "conversion", "format_spec"),
    "Interpolation(expr value, constant str, int conversion, expr? format_spec)",
)

_EXTENDED: dict[tuple[Any, tuple[str, ...]], Any] = {}


def _extended(cls: Any, extra: tuple[str, ...]) -> Any:
    """A same-named subclass of host class ``cls`` whose ``_fields`` also list ``extra``."""
    key = (cls, extra)
    sub = _EXTENDED.get(key)
    if sub is None:
        sub = type(
            cls.__name__,
            (cls,),
            {
                "_fields": tuple(cls._fields) + extra,
                "__module__": __name__,
                "__doc__": f"{cls.__name__} with the newer field(s) {', '.join(extra)}.",
            },
        )
        _EXTENDED[key] = sub
    return sub


def _new(cls: Any, fields: dict[str, Any]) -> Any:
    """Instantiate ``cls`` with ``fields``.

    Fields unknown to the host class are set as attributes; when such a field
    holds a real value (non-empty / non-None) a subclass listing it in
    ``_fields`` is used so that traversal helpers see its children.
    """
    own = cls._fields
    missing = tuple(k for k in fields if k not in own)
    if not missing:
        return cls(**fields)
    if any(fields[k] for k in missing):
        return _extended(cls, missing)(**fields)
    node = cls(**{k: v for k, v in fields.items() if k in own})
    for k in missing:
        setattr(node, k, fields[k])
    return node


# ---------------------------------------------------------------------------
# Constants and lookup tables
# ---------------------------------------------------------------------------

_LOAD = ast.Load()
_STORE = ast.Store()
_DEL = ast.Del()

# Whitespace, comments and explicit line joins between two tokens.
_SKIP: Callable[[str, int], re.Match[str]] = re.compile(  # type: ignore[assignment]
    r"[ \t\f\r\n]*(?:(?:#[^\r\n]*|\\\r?\n|\\\r)[ \t\f\r\n]*)*"
).match
_NEWLINE = re.compile(r"\r\n|\r|\n")
_NAME_CONSTANTS = {"True": True, "False": False, "None": None}

_BINOPS: dict[type, tuple[str, ast.operator]] = {
    cst.Add: ("+", ast.Add()),
    cst.Subtract: ("-", ast.Sub()),
    cst.Multiply: ("*", ast.Mult()),
    cst.Divide: ("/", ast.Div()),
    cst.FloorDivide: ("//", ast.FloorDiv()),
    cst.Modulo: ("%", ast.Mod()),
    cst.Power: ("**", ast.Pow()),
    cst.LeftShift: ("<<", ast.LShift()),
    cst.RightShift: (">>", ast.RShift()),
    cst.BitOr: ("|", ast.BitOr()),
    cst.BitAnd: ("&", ast.BitAnd()),
    cst.BitXor: ("^", ast.BitXor()),
    cst.MatrixMultiply: ("@", ast.MatMult()),
}
_AUGOPS: dict[type, tuple[str, ast.operator]] = {
    cst.AddAssign: ("+=", ast.Add()),
    cst.SubtractAssign: ("-=", ast.Sub()),
    cst.MultiplyAssign: ("*=", ast.Mult()),
    cst.DivideAssign: ("/=", ast.Div()),
    cst.FloorDivideAssign: ("//=", ast.FloorDiv()),
    cst.ModuloAssign: ("%=", ast.Mod()),
    cst.PowerAssign: ("**=", ast.Pow()),
    cst.LeftShiftAssign: ("<<=", ast.LShift()),
    cst.RightShiftAssign: (">>=", ast.RShift()),
    cst.BitOrAssign: ("|=", ast.BitOr()),
    cst.BitAndAssign: ("&=", ast.BitAnd()),
    cst.BitXorAssign: ("^=", ast.BitXor()),
    cst.MatrixMultiplyAssign: ("@=", ast.MatMult()),
}
_UNARYOPS: dict[type, tuple[str, ast.unaryop]] = {
    cst.Plus: ("+", ast.UAdd()),
    cst.Minus: ("-", ast.USub()),
    cst.BitInvert: ("~", ast.Invert()),
    cst.Not: ("not", ast.Not()),
}
_BOOLOPS: dict[type, tuple[str, ast.boolop]] = {
    cst.And: ("and", ast.And()),
    cst.Or: ("or", ast.Or()),
}
_CMPOPS: dict[type, tuple[tuple[str, ...], ast.cmpop]] = {
    cst.LessThan: (("<",), ast.Lt()),
    cst.GreaterThan: ((">",), ast.Gt()),
    cst.Equal: (("==",), ast.Eq()),
    cst.LessThanEqual: (("<=",), ast.LtE()),
    cst.GreaterThanEqual: ((">=",), ast.GtE()),
    cst.NotEqual: (("!=",), ast.NotEq()),
    cst.In: (("in",), ast.In()),
    cst.NotIn: (("not", "in"), ast.NotIn()),
    cst.Is: (("is",), ast.Is()),
    cst.IsNot: (("is", "not"), ast.IsNot()),
}

_Comma = cst.Comma


def _syntax_error(msg: str, filename: str, source: str, lineno: int, col: int) -> SyntaxError:
    """Build a SyntaxError like CPython's (1-based ``offset``)."""
    lines = _NEWLINE.split(source)
    text = lines[lineno - 1] if 0 < lineno <= len(lines) else None
    return SyntaxError(msg, (filename, lineno, col + 1, text))


def _exc_msg(exc: Exception) -> str:
    return str(exc.msg) if isinstance(exc, SyntaxError) else str(exc)


def _ident(name: str) -> str:
    """Identifiers are NFKC-normalised by CPython's parser (PEP 3131)."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


class _SyntaxProblem(Exception):
    """Raised inside the converter for source CPython 3.14 would reject."""

    def __init__(self, msg: str, offset: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.offset = offset


# ---------------------------------------------------------------------------
# The converter
# ---------------------------------------------------------------------------


class _Converter:
    """Convert one libcst Module into an ``ast.Module`` while tracking positions."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        starts = [0]
        starts.extend(m.end() for m in _NEWLINE.finditer(source))
        self.starts = starts
        if source.isascii():
            self.ascii: list[bool] | None = None
        else:
            ends = starts[1:] + [len(source)]
            self.ascii = [source[a:b].isascii() for a, b in zip(starts, ends)]
        self.ex: dict[type, Callable[[Any, ast.expr_context], Any]] = {
            cst.Name: self._name,
            cst.Attribute: self._attribute,
            cst.Subscript: self._subscript,
            cst.Call: self._call,
            cst.BinaryOperation: self._binop,
            cst.UnaryOperation: self._unaryop,
            cst.BooleanOperation: self._boolop,
            cst.Comparison: self._compare,
            cst.IfExp: self._ifexp,
            cst.Lambda: self._lambda,
            cst.NamedExpr: self._namedexpr,
            cst.Await: self._await,
            cst.Yield: self._yield,
            cst.Tuple: self._tuple,
            cst.List: self._list,
            cst.Set: self._set,
            cst.Dict: self._dict,
            cst.ListComp: self._listcomp,
            cst.SetComp: self._setcomp,
            cst.DictComp: self._dictcomp,
            cst.GeneratorExp: self._genexp,
            cst.StarredElement: self._starred,
            cst.Ellipsis: self._ellipsis,
            cst.Integer: self._integer,
            cst.Float: self._float,
            cst.Imaginary: self._imaginary,
            cst.SimpleString: self._string,
            cst.FormattedString: self._string,
            cst.TemplatedString: self._string,
            cst.ConcatenatedString: self._string,
        }
        self.small: dict[type, Callable[[Any], ast.stmt]] = {
            cst.Expr: self._expr_stmt,
            cst.Assign: self._assign,
            cst.AnnAssign: self._annassign,
            cst.AugAssign: self._augassign,
            cst.Return: self._return,
            cst.Raise: self._raise,
            cst.Assert: self._assert,
            cst.Pass: self._keyword_stmt,
            cst.Break: self._keyword_stmt,
            cst.Continue: self._keyword_stmt,
            cst.Del: self._delete,
            cst.Import: self._import,
            cst.ImportFrom: self._importfrom,
            cst.Global: self._global,
            cst.Nonlocal: self._global,
            cst.TypeAlias: self._typealias,
        }
        lazy_import = getattr(cst, "LazyImport", None)
        lazy_from = getattr(cst, "LazyImportFrom", None)
        if lazy_import is not None:
            self.small[lazy_import] = self._import
        if lazy_from is not None:
            self.small[lazy_from] = self._importfrom
        self.compound: dict[type, Callable[[Any], ast.stmt]] = {
            cst.If: self._if,
            cst.For: self._for,
            cst.While: self._while,
            cst.Try: self._try,
            cst.TryStar: self._try,
            cst.With: self._with,
            cst.FunctionDef: self._funcdef,
            cst.ClassDef: self._classdef,
            cst.Match: self._match,
        }
        self.pat: dict[type, Callable[[Any], Any]] = {
            cst.MatchValue: self._p_value,
            cst.MatchSingleton: self._p_singleton,
            cst.MatchList: self._p_sequence,
            cst.MatchTuple: self._p_sequence,
            cst.MatchMapping: self._p_mapping,
            cst.MatchClass: self._p_class,
            cst.MatchAs: self._p_as,
            cst.MatchOr: self._p_or,
        }

    # -- cursor helpers ----------------------------------------------------

    def _start(self) -> int:
        """Move the cursor to the next token and return its offset."""
        p = _SKIP(self.src, self.pos).end()
        self.pos = p
        return p

    def _tok(self, text: str) -> int:
        """Consume token ``text`` (after skipping whitespace); return its start offset."""
        src = self.src
        p = _SKIP(src, self.pos).end()
        if not src.startswith(text, p):
            self._desync(text, p)
        self.pos = p + len(text)
        return p

    def _raw(self, text: str) -> int:
        """Consume ``text`` exactly at the cursor (no skipping: f-string literal parts)."""
        p = self.pos
        if not self.src.startswith(text, p):
            self._desync(text, p)
        self.pos = p + len(text)
        return p

    def _comma(self, comma: Any) -> None:
        if comma.__class__ is _Comma:
            self._tok(",")

    def _desync(self, text: str, p: int) -> None:
        line, col = self._lc(p)
        found = self.src[p : p + 20]
        raise FallbackConversionError(f"expected {text!r} at line {line} column {col}, found {found!r}")

    def _lc(self, off: int) -> tuple[int, int]:
        """Offset -> (lineno, UTF-8 byte column)."""
        i = bisect_right(self.starts, off) - 1
        ls = self.starts[i]
        if self.ascii is None or self.ascii[i]:
            return i + 1, off - ls
        return i + 1, len(self.src[ls:off].encode("utf-8", "surrogatepass"))

    def _loc(self, node: Any, start: int, end: int) -> Any:
        """Set the four position attributes of ``node`` from two offsets."""
        starts = self.starts
        i = bisect_right(starts, start) - 1
        ls = starts[i]
        if end < (starts[i + 1] if i + 1 < len(starts) else 1 << 62):
            j, le = i, ls
        else:
            j = bisect_right(starts, end) - 1
            le = starts[j]
        node.lineno = i + 1
        node.end_lineno = j + 1
        asc = self.ascii
        if asc is None:
            node.col_offset = start - ls
            node.end_col_offset = end - le
        else:
            src = self.src
            node.col_offset = start - ls if asc[i] else len(src[ls:start].encode("utf-8", "surrogatepass"))
            node.end_col_offset = end - le if asc[j] else len(src[le:end].encode("utf-8", "surrogatepass"))
        return node

    def _copy_loc(self, node: Any, other: Any) -> Any:
        node.lineno = other.lineno
        node.col_offset = other.col_offset
        node.end_lineno = other.end_lineno
        node.end_col_offset = other.end_col_offset
        return node

    # -- module and statements --------------------------------------------

    def module(self, mod: cst.Module) -> ast.Module:
        return ast.Module(body=self._stmts(mod.body), type_ignores=[])

    def _stmts(self, body: Sequence[Any]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        small = self.small
        compound = self.compound
        for st in body:
            t = type(st)
            if t is cst.SimpleStatementLine:
                for sm in st.body:
                    out.append(small[type(sm)](sm))
                    self._comma_like(sm.semicolon, ";")
            else:
                out.append(compound[t](st))
        return out

    def _comma_like(self, node: Any, text: str) -> None:
        if node.__class__ is not cst.MaybeSentinel:
            self._tok(text)

    def _suite(self, suite: Any) -> list[ast.stmt]:
        """Body of a compound statement (indented block or ``: a; b`` suite)."""
        if type(suite) is cst.SimpleStatementSuite:
            out = []
            small = self.small
            for sm in suite.body:
                out.append(small[type(sm)](sm))
                self._comma_like(sm.semicolon, ";")
            return out
        return self._stmts(suite.body)

    def _expr_stmt(self, node: cst.Expr) -> ast.stmt:
        start = self._start()
        value = self.expr(node.value)
        return self._loc(ast.Expr(value=value), start, self.pos)

    def _assign(self, node: cst.Assign) -> ast.stmt:
        start = self._start()
        targets = []
        for t in node.targets:
            targets.append(self.expr(t.target, _STORE))
            self._tok("=")
        value = self.expr(node.value)
        return self._loc(ast.Assign(targets=targets, value=value, type_comment=None), start, self.pos)

    def _annassign(self, node: cst.AnnAssign) -> ast.stmt:
        start = self._start()
        target = self.expr(node.target, _STORE)
        self._tok(":")
        annotation = self.expr(node.annotation.annotation)
        value = None
        if node.value is not None:
            self._tok("=")
            value = self.expr(node.value)
        simple = 1 if type(node.target) is cst.Name and not node.target.lpar else 0
        return self._loc(
            ast.AnnAssign(target=target, annotation=annotation, value=value, simple=simple), start, self.pos
        )

    def _augassign(self, node: cst.AugAssign) -> ast.stmt:
        start = self._start()
        target = self.expr(node.target, _STORE)
        text, op = _AUGOPS[type(node.operator)]
        self._tok(text)
        value = self.expr(node.value)
        return self._loc(ast.AugAssign(target=target, op=op, value=value), start, self.pos)

    def _return(self, node: cst.Return) -> ast.stmt:
        start = self._tok("return")
        value = None if node.value is None else self.expr(node.value)
        return self._loc(ast.Return(value=value), start, self.pos)

    def _raise(self, node: cst.Raise) -> ast.stmt:
        start = self._tok("raise")
        exc = None if node.exc is None else self.expr(node.exc)
        cause = None
        if node.cause is not None:
            self._tok("from")
            cause = self.expr(node.cause.item)
        return self._loc(ast.Raise(exc=exc, cause=cause), start, self.pos)

    def _assert(self, node: cst.Assert) -> ast.stmt:
        start = self._tok("assert")
        test = self.expr(node.test)
        msg = None
        if node.msg is not None:
            self._tok(",")
            msg = self.expr(node.msg)
        return self._loc(ast.Assert(test=test, msg=msg), start, self.pos)

    _KEYWORD_STMTS: dict[type, tuple[str, type]] = {
        cst.Pass: ("pass", ast.Pass),
        cst.Break: ("break", ast.Break),
        cst.Continue: ("continue", ast.Continue),
    }

    def _keyword_stmt(self, node: Any) -> ast.stmt:
        text, cls = self._KEYWORD_STMTS[type(node)]
        start = self._tok(text)
        return self._loc(cls(), start, self.pos)

    def _delete(self, node: cst.Del) -> ast.stmt:
        start = self._tok("del")
        target = node.target
        if type(target) is cst.Tuple and not target.lpar:
            targets = []
            for el in target.elements:
                targets.append(self.expr(el.value if type(el) is cst.Element else el, _DEL))
                self._comma(el.comma)
        else:
            targets = [self.expr(target, _DEL)]
        return self._loc(ast.Delete(targets=targets), start, self.pos)

    def _dotted(self, node: Any) -> str:
        if type(node) is cst.Name:
            self._tok(node.value)
            return _ident(node.value)
        left = self._dotted(node.value)
        self._tok(".")
        self._tok(node.attr.value)
        return left + "." + _ident(node.attr.value)

    def _aliases(self, names: Sequence[Any]) -> list[ast.alias]:
        out = []
        for ia in names:
            start = self._start()
            name = self._dotted(ia.name)
            asname = None
            if ia.asname is not None:
                self._tok("as")
                self._tok(ia.asname.name.value)
                asname = _ident(ia.asname.name.value)
            out.append(self._loc(ast.alias(name=name, asname=asname), start, self.pos))
            self._comma(ia.comma)
        return out

    def _import(self, node: Any) -> ast.stmt:
        lazy = type(node) is not cst.Import  # PEP 810 (3.15) ``lazy import``: a plain Import
        start = self._tok("lazy" if lazy else "import")
        if lazy:
            self._tok("import")
        names = self._aliases(node.names)
        return self._loc(ast.Import(names=names), start, self.pos)

    def _importfrom(self, node: Any) -> ast.stmt:
        lazy = type(node) is not cst.ImportFrom  # PEP 810 (3.15) ``lazy from``: a plain ImportFrom
        start = self._tok("lazy" if lazy else "from")
        if lazy:
            self._tok("from")
        level = 0
        for _ in node.relative:
            self._tok(".")
            level += 1
        module = None if node.module is None else self._dotted(node.module)
        self._tok("import")
        if node.lpar is not None:
            self._tok("(")
        if type(node.names) is cst.ImportStar:
            s = self._tok("*")
            names = [self._loc(ast.alias(name="*", asname=None), s, self.pos)]
        else:
            names = self._aliases(node.names)
        if node.rpar is not None:
            self._tok(")")
        return self._loc(ast.ImportFrom(module=module, names=names, level=level), start, self.pos)

    def _global(self, node: Any) -> ast.stmt:
        is_global = type(node) is cst.Global
        start = self._tok("global" if is_global else "nonlocal")
        names = []
        for item in node.names:
            self._tok(item.name.value)
            names.append(_ident(item.name.value))
            self._comma(item.comma)
        cls = ast.Global if is_global else ast.Nonlocal
        return self._loc(cls(names=names), start, self.pos)

    def _typealias(self, node: Any) -> ast.stmt:
        start = self._tok("type")
        s = self._tok(node.name.value)
        name = self._loc(ast.Name(id=_ident(node.name.value), ctx=_STORE), s, self.pos)
        type_params = self._type_params(node.type_parameters)
        self._tok("=")
        value = self.expr(node.value)
        return self._loc(TypeAlias(name=name, type_params=type_params, value=value), start, self.pos)

    def _type_params(self, tps: Any) -> list[Any]:
        if tps is None:
            return []
        self._tok("[")
        out = []
        for tp in tps.params:
            start = self._start()
            param = tp.param
            t = type(param)
            raw_name = param.name.value
            name = _ident(raw_name)
            bound = None
            if t is cst.TypeVar:
                self._tok(raw_name)
                if param.bound is not None:
                    self._tok(":")
                    bound = self.expr(param.bound)
            elif t is cst.TypeVarTuple:
                self._tok("*")
                self._tok(raw_name)
            else:
                self._tok("**")
                self._tok(raw_name)
            default = None
            if tp.default is not None:
                self._tok("=")
                if tp.star:
                    s = self._tok("*")
                    inner = self.expr(tp.default)
                    default = self._loc(ast.Starred(value=inner, ctx=_LOAD), s, self.pos)
                else:
                    default = self.expr(tp.default)
            if t is cst.TypeVar:
                fields = {"name": name, "bound": bound, "default_value": default}
                cls = TypeVar
            elif t is cst.TypeVarTuple:
                fields = {"name": name, "default_value": default}
                cls = TypeVarTuple
            else:
                fields = {"name": name, "default_value": default}
                cls = ParamSpec
            out.append(self._loc(_new(cls, fields), start, self.pos))
            self._comma(tp.comma)
        self._tok("]")
        return out

    # compound statements

    def _else(self, orelse: Any) -> list[ast.stmt]:
        if orelse is None:
            return []
        self._tok("else")
        self._tok(":")
        return self._suite(orelse.body)

    def _if(self, node: cst.If, keyword: str = "if") -> ast.stmt:
        start = self._tok(keyword)
        test = self.expr(node.test)
        self._tok(":")
        body = self._suite(node.body)
        orelse_node = node.orelse
        if type(orelse_node) is cst.If:
            orelse = [self._if(orelse_node, "elif")]
        else:
            orelse = self._else(orelse_node)
        return self._loc(ast.If(test=test, body=body, orelse=orelse), start, self.pos)

    def _for(self, node: cst.For) -> ast.stmt:
        start = self._start()
        is_async = node.asynchronous is not None
        if is_async:
            self._tok("async")
        self._tok("for")
        target = self.expr(node.target, _STORE)
        self._tok("in")
        it = self.expr(node.iter)
        self._tok(":")
        body = self._suite(node.body)
        orelse = self._else(node.orelse)
        cls = ast.AsyncFor if is_async else ast.For
        return self._loc(cls(target=target, iter=it, body=body, orelse=orelse, type_comment=None), start, self.pos)

    def _while(self, node: cst.While) -> ast.stmt:
        start = self._tok("while")
        test = self.expr(node.test)
        self._tok(":")
        body = self._suite(node.body)
        orelse = self._else(node.orelse)
        return self._loc(ast.While(test=test, body=body, orelse=orelse), start, self.pos)

    def _try(self, node: Any) -> ast.stmt:
        start = self._tok("try")
        self._tok(":")
        body = self._suite(node.body)
        is_star = type(node) is cst.TryStar
        handlers = []
        for h in node.handlers:
            hs = self._tok("except")
            if is_star:
                self._tok("*")
            typ = None if h.type is None else self.expr(h.type)
            name = None
            if h.name is not None:
                self._tok("as")
                self._tok(h.name.name.value)
                name = _ident(h.name.name.value)
            self._tok(":")
            hbody = self._suite(h.body)
            handlers.append(self._loc(ast.ExceptHandler(type=typ, name=name, body=hbody), hs, self.pos))
        orelse = self._else(node.orelse)
        finalbody: list[ast.stmt] = []
        if node.finalbody is not None:
            self._tok("finally")
            self._tok(":")
            finalbody = self._suite(node.finalbody.body)
        cls = ast.TryStar if is_star else ast.Try
        return self._loc(cls(body=body, handlers=handlers, orelse=orelse, finalbody=finalbody), start, self.pos)

    def _with(self, node: cst.With) -> ast.stmt:
        start = self._start()
        is_async = node.asynchronous is not None
        if is_async:
            self._tok("async")
        self._tok("with")
        paren = type(node.lpar) is cst.LeftParen
        if paren:
            self._tok("(")
        items = []
        for wi in node.items:
            ctx_expr = self.expr(wi.item)
            optional = None
            if wi.asname is not None:
                self._tok("as")
                optional = self.expr(wi.asname.name, _STORE)
            items.append(ast.withitem(context_expr=ctx_expr, optional_vars=optional))
            self._comma(wi.comma)
        if paren:
            self._tok(")")
        self._tok(":")
        body = self._suite(node.body)
        cls = ast.AsyncWith if is_async else ast.With
        return self._loc(cls(items=items, body=body, type_comment=None), start, self.pos)

    def _decorators(self, decorators: Sequence[cst.Decorator]) -> list[ast.expr]:
        out = []
        for d in decorators:
            self._tok("@")
            out.append(self.expr(d.decorator))
        return out

    def _funcdef(self, node: cst.FunctionDef) -> ast.stmt:
        decorators = self._decorators(node.decorators)
        start = self._start()
        is_async = node.asynchronous is not None
        if is_async:
            self._tok("async")
        self._tok("def")
        self._tok(node.name.value)
        name = _ident(node.name.value)
        type_params = self._type_params(node.type_parameters)
        self._tok("(")
        args = self._parameters(node.params)
        self._tok(")")
        returns = None
        if node.returns is not None:
            self._tok("->")
            returns = self.expr(node.returns.annotation)
        self._tok(":")
        body = self._suite(node.body)
        cls = ast.AsyncFunctionDef if is_async else ast.FunctionDef
        fields = {
            "name": name,
            "args": args,
            "body": body,
            "decorator_list": decorators,
            "returns": returns,
            "type_comment": None,
            "type_params": type_params,
        }
        return self._loc(_new(cls, fields), start, self.pos)

    def _classdef(self, node: cst.ClassDef) -> ast.stmt:
        decorators = self._decorators(node.decorators)
        start = self._tok("class")
        self._tok(node.name.value)
        name = _ident(node.name.value)
        type_params = self._type_params(node.type_parameters)
        bases: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        if type(node.lpar) is cst.LeftParen:
            self._tok("(")
            self._arguments(list(node.bases) + list(node.keywords), bases, keywords)
            self._tok(")")
        self._tok(":")
        body = self._suite(node.body)
        fields = {
            "name": name,
            "bases": bases,
            "keywords": keywords,
            "body": body,
            "decorator_list": decorators,
            "type_params": type_params,
        }
        return self._loc(_new(ast.ClassDef, fields), start, self.pos)

    def _match(self, node: Any) -> ast.stmt:
        start = self._tok("match")
        subject = self.expr(node.subject)
        self._tok(":")
        cases = []
        for case in node.cases:
            self._tok("case")
            pattern = self.pattern(case.pattern)
            guard = None
            if case.guard is not None:
                self._tok("if")
                guard = self.expr(case.guard)
            self._tok(":")
            body = self._suite(case.body)
            cases.append(ast.match_case(pattern=pattern, guard=guard, body=body))
        return self._loc(ast.Match(subject=subject, cases=cases), start, self.pos)

    # -- parameters and arguments -----------------------------------------

    def _param(self, prm: cst.Param) -> tuple[ast.arg, ast.expr | None]:
        star = prm.star
        if star.__class__ is str and star:
            self._tok(star)
        s = self._tok(prm.name.value)
        name = _ident(prm.name.value)
        annotation = None
        if prm.annotation is not None:
            self._tok(":")
            annotation = self.expr(prm.annotation.annotation)
        arg = self._loc(ast.arg(arg=name, annotation=annotation, type_comment=None), s, self.pos)
        default = None
        if prm.default is not None:
            self._tok("=")
            default = self.expr(prm.default)
        self._comma(prm.comma)
        return arg, default

    def _parameters(self, params: cst.Parameters) -> ast.arguments:
        posonly: list[ast.arg] = []
        args: list[ast.arg] = []
        defaults: list[ast.expr] = []
        kwonly: list[ast.arg] = []
        kw_defaults: list[ast.expr | None] = []
        vararg = kwarg = None
        for prm in params.posonly_params:
            a, d = self._param(prm)
            posonly.append(a)
            if d is not None:
                defaults.append(d)
        ind = params.posonly_ind
        if type(ind) is cst.ParamSlash:
            self._tok("/")
            self._comma(ind.comma)
        for prm in params.params:
            a, d = self._param(prm)
            args.append(a)
            if d is not None:
                defaults.append(d)
        star = params.star_arg
        if type(star) is cst.ParamStar:
            self._tok("*")
            self._comma(star.comma)
        elif type(star) is cst.Param:
            vararg, _ = self._param(star)
        for prm in params.kwonly_params:
            a, d = self._param(prm)
            kwonly.append(a)
            kw_defaults.append(d)
        if params.star_kwarg is not None:
            kwarg, _ = self._param(params.star_kwarg)
        return ast.arguments(
            posonlyargs=posonly,
            args=args,
            vararg=vararg,
            kwonlyargs=kwonly,
            kw_defaults=kw_defaults,
            kwarg=kwarg,
            defaults=defaults,
        )

    def _arguments(self, arglist: Iterable[cst.Arg], args: list[ast.expr], keywords: list[ast.keyword]) -> None:
        """Convert call / class arguments into ``args`` and ``keywords`` (in place)."""
        for a in arglist:
            star = a.star
            if star == "*":
                s = self._tok("*")
                value = self.expr(a.value)
                args.append(self._loc(ast.Starred(value=value, ctx=_LOAD), s, self.pos))
            elif star == "**":
                s = self._tok("**")
                value = self.expr(a.value)
                keywords.append(self._loc(ast.keyword(arg=None, value=value), s, self.pos))
            elif a.keyword is not None:
                s = self._tok(a.keyword.value)
                self._tok("=")
                value = self.expr(a.value)
                keywords.append(self._loc(ast.keyword(arg=_ident(a.keyword.value), value=value), s, self.pos))
            else:
                args.append(self.expr(a.value))
            self._comma(a.comma)

    # -- expressions ---------------------------------------------------------

    def expr(self, node: Any, ctx: ast.expr_context = _LOAD) -> Any:
        """Convert an expression, consuming the parentheses that libcst attaches to it."""
        lpar = node.lpar
        if not lpar:
            return self.ex[type(node)](node, ctx)
        for _ in lpar:
            self._tok("(")
        t = type(node)
        res = self.ex[t](node, ctx)
        # A parenthesised tuple / generator expression consumes its innermost ')'.
        n = len(node.rpar) - (1 if t is cst.Tuple or t is cst.GeneratorExp else 0)
        for _ in range(n):
            self._tok(")")
        return res

    def _name(self, node: cst.Name, ctx: ast.expr_context) -> ast.expr:
        value = node.value
        s = self._tok(value)
        if value in _NAME_CONSTANTS:
            return self._loc(ast.Constant(value=_NAME_CONSTANTS[value], kind=None), s, self.pos)
        return self._loc(ast.Name(id=_ident(value), ctx=ctx), s, self.pos)

    def _attribute(self, node: cst.Attribute, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        value = self.expr(node.value)
        self._tok(".")
        attr = node.attr.value
        self._tok(attr)
        return self._loc(ast.Attribute(value=value, attr=_ident(attr), ctx=ctx), start, self.pos)

    def _slice(self, sl: Any) -> ast.expr:
        if type(sl) is cst.Index:
            if sl.star is not None:
                s = self._tok("*")
                value = self.expr(sl.value)
                return self._loc(ast.Starred(value=value, ctx=_LOAD), s, self.pos)
            return self.expr(sl.value)
        start = self._start()
        lower = upper = step = None
        if sl.lower is not None:
            lower = self.expr(sl.lower)
        self._tok(":")
        if sl.upper is not None:
            upper = self.expr(sl.upper)
        if sl.second_colon.__class__ is cst.Colon or sl.step is not None:
            self._tok(":")
            if sl.step is not None:
                step = self.expr(sl.step)
        return self._loc(ast.Slice(lower=lower, upper=upper, step=step), start, self.pos)

    def _subscript(self, node: cst.Subscript, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        value = self.expr(node.value)
        self._tok("[")
        elems = node.slice
        if len(elems) == 1 and elems[0].comma.__class__ is not _Comma and not (
            type(elems[0].slice) is cst.Index and elems[0].slice.star is not None
        ):
            sl = self._slice(elems[0].slice)
        else:
            s = self._start()
            elts = []
            for el in elems:
                elts.append(self._slice(el.slice))
                self._comma(el.comma)
            sl = self._loc(ast.Tuple(elts=elts, ctx=_LOAD), s, self.pos)
        self._tok("]")
        return self._loc(ast.Subscript(value=value, slice=sl, ctx=ctx), start, self.pos)

    def _call(self, node: cst.Call, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        func = self.expr(node.func)
        lp = self._tok("(")
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        self._arguments(node.args, args, keywords)
        self._tok(")")
        end = self.pos
        cargs = node.args
        if (
            len(cargs) == 1
            and type(cargs[0].value) is cst.GeneratorExp
            and not cargs[0].value.lpar
            and not cargs[0].star
            and cargs[0].keyword is None
        ):
            # f(x for x in y): the generator expression owns the call's parentheses.
            self._loc(args[0], lp, end)
        return self._loc(ast.Call(func=func, args=args, keywords=keywords), start, end)

    def _binop(self, node: cst.BinaryOperation, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        # Left-nested chains (``a + b + c ...``, common in generated code) are
        # converted iteratively so that their length does not cost recursion.
        chain = [node]
        left = node.left
        while type(left) is cst.BinaryOperation and not left.lpar:
            chain.append(left)
            left = left.left
        result = self.expr(left)
        for b in reversed(chain):
            text, op = _BINOPS[type(b.operator)]
            self._tok(text)
            right = self.expr(b.right)
            result = self._loc(ast.BinOp(left=result, op=op, right=right), start, self.pos)
        return result

    def _unaryop(self, node: cst.UnaryOperation, ctx: ast.expr_context) -> ast.expr:
        text, op = _UNARYOPS[type(node.operator)]
        start = self._tok(text)
        operand = self.expr(node.expression)
        return self._loc(ast.UnaryOp(op=op, operand=operand), start, self.pos)

    def _boolop(self, node: cst.BooleanOperation, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        op_type = type(node.operator)
        # libcst nests ``a or b or c`` to the left; CPython flattens it (but not
        # across parentheses, nor across a different operator).
        chain = [node]
        left = node.left
        while type(left) is cst.BooleanOperation and type(left.operator) is op_type and not left.lpar:
            chain.append(left)
            left = left.left
        text, op = _BOOLOPS[op_type]
        values = [self.expr(left)]
        for b in reversed(chain):
            self._tok(text)
            values.append(self.expr(b.right))
        return self._loc(ast.BoolOp(op=op, values=values), start, self.pos)

    def _compare(self, node: cst.Comparison, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        left = self.expr(node.left)
        ops = []
        comparators = []
        for ct in node.comparisons:
            texts, op = _CMPOPS[type(ct.operator)]
            for text in texts:
                self._tok(text)
            ops.append(op)
            comparators.append(self.expr(ct.comparator))
        return self._loc(ast.Compare(left=left, ops=ops, comparators=comparators), start, self.pos)

    def _ifexp(self, node: cst.IfExp, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        body = self.expr(node.body)
        self._tok("if")
        test = self.expr(node.test)
        self._tok("else")
        orelse = self.expr(node.orelse)
        return self._loc(ast.IfExp(test=test, body=body, orelse=orelse), start, self.pos)

    def _lambda(self, node: cst.Lambda, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("lambda")
        args = self._parameters(node.params)
        self._tok(":")
        body = self.expr(node.body)
        return self._loc(ast.Lambda(args=args, body=body), start, self.pos)

    def _namedexpr(self, node: cst.NamedExpr, ctx: ast.expr_context) -> ast.expr:
        start = self._start()
        target = self.expr(node.target, _STORE)
        self._tok(":=")
        value = self.expr(node.value)
        return self._loc(ast.NamedExpr(target=target, value=value), start, self.pos)

    def _await(self, node: cst.Await, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("await")
        value = self.expr(node.expression)
        return self._loc(ast.Await(value=value), start, self.pos)

    def _yield(self, node: cst.Yield, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("yield")
        value = node.value
        if value is None:
            return self._loc(ast.Yield(value=None), start, self.pos)
        if type(value) is cst.From:
            self._tok("from")
            inner = self.expr(value.item)
            return self._loc(ast.YieldFrom(value=inner), start, self.pos)
        return self._loc(ast.Yield(value=self.expr(value)), start, self.pos)

    def _elements(self, elements: Sequence[Any], ctx: ast.expr_context) -> list[ast.expr]:
        out = []
        for el in elements:
            out.append(self.expr(el.value if type(el) is cst.Element else el, ctx))
            self._comma(el.comma)
        return out

    def _tuple(self, node: cst.Tuple, ctx: ast.expr_context) -> ast.expr:
        paren = bool(node.lpar)
        # The wrapper just consumed the innermost '(' when parenthesised.
        start = self.pos - 1 if paren else self._start()
        elts = self._elements(node.elements, ctx)
        if paren:
            self._tok(")")
        return self._loc(ast.Tuple(elts=elts, ctx=ctx), start, self.pos)

    def _list(self, node: cst.List, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("[")
        elts = self._elements(node.elements, ctx)
        self._tok("]")
        return self._loc(ast.List(elts=elts, ctx=ctx), start, self.pos)

    def _set(self, node: cst.Set, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("{")
        elts = self._elements(node.elements, _LOAD)
        self._tok("}")
        return self._loc(ast.Set(elts=elts), start, self.pos)

    def _dict(self, node: Any, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("{")
        keys: list[ast.expr | None] = []
        values = []
        for el in node.elements:
            if type(el) is cst.StarredDictElement:
                self._tok("**")
                keys.append(None)
                values.append(self.expr(el.value))
            else:
                keys.append(self.expr(el.key))
                self._tok(":")
                values.append(self.expr(el.value))
            self._comma(el.comma)
        self._tok("}")
        return self._loc(ast.Dict(keys=keys, values=values), start, self.pos)

    def _comprehension(self, cf: Any) -> list[ast.comprehension]:
        out = []
        while cf is not None:
            is_async = 0
            if cf.asynchronous is not None:
                self._tok("async")
                is_async = 1
            self._tok("for")
            target = self.expr(cf.target, _STORE)
            self._tok("in")
            it = self.expr(cf.iter)
            ifs = []
            for ci in cf.ifs:
                self._tok("if")
                ifs.append(self.expr(ci.test))
            out.append(ast.comprehension(target=target, iter=it, ifs=ifs, is_async=is_async))
            cf = cf.inner_for_in
        return out

    def _listcomp(self, node: cst.ListComp, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("[")
        elt = self.expr(node.elt)
        generators = self._comprehension(node.for_in)
        self._tok("]")
        return self._loc(ast.ListComp(elt=elt, generators=generators), start, self.pos)

    def _setcomp(self, node: cst.SetComp, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("{")
        elt = self.expr(node.elt)
        generators = self._comprehension(node.for_in)
        self._tok("}")
        return self._loc(ast.SetComp(elt=elt, generators=generators), start, self.pos)

    def _dictcomp(self, node: cst.DictComp, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("{")
        key = self.expr(node.key)
        self._tok(":")
        value = self.expr(node.value)
        generators = self._comprehension(node.for_in)
        self._tok("}")
        return self._loc(ast.DictComp(key=key, value=value, generators=generators), start, self.pos)

    def _genexp(self, node: cst.GeneratorExp, ctx: ast.expr_context) -> ast.expr:
        paren = bool(node.lpar)
        start = self.pos - 1 if paren else self._start()
        elt = self.expr(node.elt)
        generators = self._comprehension(node.for_in)
        if paren:
            self._tok(")")
        return self._loc(ast.GeneratorExp(elt=elt, generators=generators), start, self.pos)

    def _starred(self, node: cst.StarredElement, ctx: ast.expr_context) -> ast.expr:
        start = self._tok("*")
        value = self.expr(node.value, ctx)
        return self._loc(ast.Starred(value=value, ctx=ctx), start, self.pos)

    def _ellipsis(self, node: cst.Ellipsis, ctx: ast.expr_context) -> ast.expr:
        s = self._tok("...")
        return self._loc(ast.Constant(value=..., kind=None), s, self.pos)

    def _number(self, node: Any, convert: Callable[[str], Any]) -> ast.expr:
        text = node.value
        s = self._tok(text)
        try:
            value = convert(text.replace("_", ""))
        except ValueError as exc:
            raise _SyntaxProblem(f"invalid number literal {text!r}: {exc}", s) from None
        return self._loc(ast.Constant(value=value, kind=None), s, self.pos)

    def _integer(self, node: cst.Integer, ctx: ast.expr_context) -> ast.expr:
        return self._number(node, _int_literal)

    def _float(self, node: cst.Float, ctx: ast.expr_context) -> ast.expr:
        return self._number(node, float)

    def _imaginary(self, node: cst.Imaginary, ctx: ast.expr_context) -> ast.expr:
        return self._number(node, complex)

    # -- strings ---------------------------------------------------------------

    def _string(self, node: Any, ctx: ast.expr_context) -> ast.expr:
        """Any string atom: plain, bytes, f-string, t-string or an implicit concatenation."""
        parts: list[Any] = []
        n = node
        while type(n) is cst.ConcatenatedString:
            left = n.left
            # ``left`` is never itself a concatenation in libcst, but be general.
            while type(left) is cst.ConcatenatedString:
                parts.append(left.left)
                left = left.right
            parts.append(left)
            n = n.right
        parts.append(n)

        start = self._start()
        values: list[Any] = []
        kinds = set()
        first_plain: ast.Constant | None = None
        for part in parts:
            t = type(part)
            if t is cst.SimpleString:
                text = part.value
                s = self._tok(text)
                try:
                    value = _string_literal_value(text)
                except (SyntaxError, ValueError) as exc:
                    raise _SyntaxProblem(f"invalid string literal: {_exc_msg(exc)}", s) from None
                c = self._loc(ast.Constant(value=value, kind="u" if text[0] == "u" else None), s, self.pos)
                if first_plain is None:
                    first_plain = c
                values.append(c)
                kinds.add("bytes" if isinstance(value, bytes) else "str")
            elif t is cst.FormattedString:
                values.extend(self._interpolated(part, template=False))
                kinds.add("f")
            elif t is cst.TemplatedString:
                values.extend(self._interpolated(part, template=True))
                kinds.add("t")
            else:  # pragma: no cover - libcst only produces the above
                raise FallbackConversionError(f"unexpected string part {t.__name__}")
        end = self.pos

        if "t" in kinds:
            if len(kinds) > 1:
                raise _SyntaxProblem("cannot mix t-string literals with string or bytes literals", start)
            return self._loc(TemplateStr(values=self._fold(values)), start, end)
        if "bytes" in kinds and len(kinds) > 1:
            raise _SyntaxProblem("cannot mix bytes and nonbytes literals", start)
        if "f" in kinds:
            return self._loc(ast.JoinedStr(values=self._fold(values)), start, end)
        if len(values) == 1:
            return values[0]
        assert first_plain is not None
        joined: Any = b"".join(v.value for v in values) if "bytes" in kinds else "".join(v.value for v in values)
        return self._loc(ast.Constant(value=joined, kind=first_plain.kind), start, end)

    def _fold(self, values: list[ast.expr]) -> list[ast.expr]:
        """Merge runs of adjacent Constants and drop empty ones.

        Mirrors CPython's ``_build_concatenated_str``: a run of consecutive
        Constants (empty ones included, they only come from plain ``""`` parts)
        becomes one Constant spanning from the first to the last of the run, with
        the ``kind`` of the first; a Constant whose value ends up empty is dropped.
        """
        out: list[ast.expr] = []
        run: list[Any] = []

        def flush() -> None:
            if not run:
                return
            if len(run) == 1:
                c = run[0]
            else:
                first, last = run[0], run[-1]
                c = ast.Constant(value="".join(r.value for r in run), kind=first.kind)
                c.lineno, c.col_offset = first.lineno, first.col_offset
                c.end_lineno, c.end_col_offset = last.end_lineno, last.end_col_offset
            if c.value != "":
                out.append(c)
            run.clear()

        for v in values:
            if type(v) is ast.Constant:
                run.append(v)
            else:
                flush()
                out.append(v)
        flush()
        return out

    def _interpolated(self, node: Any, template: bool) -> list[ast.expr]:
        """The values of one f-string / t-string (``_PyPegen_joined_str``)."""
        self._tok(node.start)
        is_raw = "r" in node.start.lower()
        values = self._interpolated_parts(node.parts, is_raw, template)
        self._raw(node.end)
        return values

    def _interpolated_parts(self, parts: Sequence[Any], is_raw: bool, template: bool) -> list[ast.expr]:
        values: list[ast.expr] = []
        for part in parts:
            t = type(part)
            if t is cst.FormattedStringText or t is cst.TemplatedStringText:
                text = part.value
                s = self._raw(text)
                try:
                    value = _fstring_text_value(text, is_raw)
                except (SyntaxError, ValueError) as exc:
                    raise _SyntaxProblem(f"invalid string literal: {_exc_msg(exc)}", s) from None
                if value:
                    values.append(self._loc(ast.Constant(value=value, kind=None), s, self.pos))
            else:
                values.extend(self._replacement_field(part, is_raw, template))
        return values

    def _replacement_field(self, part: Any, is_raw: bool, template: bool) -> list[ast.expr]:
        """``{expr[=][!c][:spec]}`` -> [FormattedValue] or [Constant(debug text), FormattedValue]."""
        lb = self._raw("{")
        value = self.expr(part.expression)
        debug = part.equal is not None
        if debug:
            self._tok("=")
        delim = -1
        conversion = -1
        conv = part.conversion
        if conv:
            delim = self._tok("!")
            self._raw(conv)
            if conv not in ("s", "r", "a"):
                raise _SyntaxProblem(
                    f"f-string: invalid conversion character {conv!r}: expected 's', 'r', or 'a'", delim + 1
                )
            conversion = ord(conv)
        spec = None
        if part.format_spec is not None:
            colon = self._tok(":")
            if delim < 0:
                delim = colon
            spec_values = self._interpolated_parts(part.format_spec, is_raw, False)
            spec = self._loc(ast.JoinedStr(values=self._fold(spec_values)), colon, self.pos)
        rb = self._tok("}")
        if delim < 0:
            delim = rb
        if debug and not conv and spec is None:
            conversion = ord("r")
        end = self.pos
        # CPython's tokenizer records the expression text without comments.
        text = _strip_comments(_translate_newlines(self.src[lb + 1 : delim]))
        if template:
            node = Interpolation(
                value=value,
                str=_without_trailing_blanks_and_equals(text),
                conversion=conversion,
                format_spec=spec,
            )
        else:
            node = ast.FormattedValue(value=value, conversion=conversion, format_spec=spec)
        self._loc(node, lb, end)
        if not debug:
            return [node]
        return [self._loc(ast.Constant(value=text, kind=None), lb + 1, delim), node]

    # -- match patterns ----------------------------------------------------------

    def pattern(self, node: Any) -> Any:
        t = type(node)
        if t is cst.MatchValue or t is cst.MatchSingleton:
            # Their lpar/rpar are those of the wrapped expression (see _p_value).
            return self.pat[t](node)
        lpar = node.lpar
        if not lpar:
            return self.pat[t](node)
        for _ in lpar:
            self._tok("(")
        res = self.pat[t](node)
        n = len(node.rpar) - (1 if t is cst.MatchTuple else 0)  # see _p_sequence
        for _ in range(n):
            self._tok(")")
        return res

    def _p_value(self, node: Any) -> Any:
        # libcst shares the parentheses of ``case (1):`` between the pattern and
        # its value; CPython positions the pattern like the (unparenthesised) value.
        value = self.expr(node.value)
        return self._copy_loc(ast.MatchValue(value=value), value)

    def _p_singleton(self, node: Any) -> Any:
        value = self.expr(node.value)
        return self._copy_loc(ast.MatchSingleton(value=value.value), value)

    def _p_elements(self, elements: Sequence[Any]) -> list[Any]:
        out = []
        for el in elements:
            if type(el) is cst.MatchStar:
                s = self._tok("*")
                self._tok("_" if el.name is None else el.name.value)
                name = None if el.name is None else _ident(el.name.value)
                out.append(self._loc(ast.MatchStar(name=name), s, self.pos))
            else:
                out.append(self.pattern(el.value))
            self._comma(el.comma)
        return out

    def _p_sequence(self, node: Any) -> Any:
        if type(node) is cst.MatchList and node.lbracket is not None:
            start = self._tok("[")
            patterns = self._p_elements(node.patterns)
            self._tok("]")
        elif type(node) is cst.MatchTuple and node.lpar:
            # The wrapper just consumed the innermost '('.
            start = self.pos - 1
            patterns = self._p_elements(node.patterns)
            self._tok(")")
        else:
            start = self._start()
            patterns = self._p_elements(node.patterns)
        return self._loc(ast.MatchSequence(patterns=patterns), start, self.pos)

    def _p_mapping(self, node: Any) -> Any:
        start = self._tok("{")
        keys = []
        patterns = []
        for el in node.elements:
            keys.append(self.expr(el.key))
            self._tok(":")
            patterns.append(self.pattern(el.pattern))
            self._comma(el.comma)
        rest = None
        if node.rest is not None:
            self._tok("**")
            self._tok(node.rest.value)
            rest = _ident(node.rest.value)
            self._comma(node.trailing_comma)
        self._tok("}")
        return self._loc(ast.MatchMapping(keys=keys, patterns=patterns, rest=rest), start, self.pos)

    def _p_class(self, node: Any) -> Any:
        start = self._start()
        cls = self.expr(node.cls)
        self._tok("(")
        patterns = self._p_elements(node.patterns)
        kwd_attrs = []
        kwd_patterns = []
        for kw in node.kwds:
            kwd_attrs.append(_ident(kw.key.value))
            self._tok(kw.key.value)
            self._tok("=")
            kwd_patterns.append(self.pattern(kw.pattern))
            self._comma(kw.comma)
        self._tok(")")
        return self._loc(
            ast.MatchClass(cls=cls, patterns=patterns, kwd_attrs=kwd_attrs, kwd_patterns=kwd_patterns),
            start,
            self.pos,
        )

    def _p_as(self, node: Any) -> Any:
        start = self._start()
        pattern = None
        if node.pattern is not None:
            pattern = self.pattern(node.pattern)
            self._tok("as")
        self._tok("_" if node.name is None else node.name.value)
        name = None if node.name is None else _ident(node.name.value)
        return self._loc(ast.MatchAs(pattern=pattern, name=name), start, self.pos)

    def _p_or(self, node: Any) -> Any:
        start = self._start()
        patterns = []
        for el in node.patterns:
            patterns.append(self.pattern(el.pattern))
            if el.separator.__class__ is not cst.MaybeSentinel:
                self._tok("|")
        return self._loc(ast.MatchOr(patterns=patterns), start, self.pos)


# ---------------------------------------------------------------------------
# Literal helpers
# ---------------------------------------------------------------------------


def _translate_newlines(text: str) -> str:
    """CPython reads ``\\r\\n`` and lone ``\\r`` as ``\\n`` before tokenizing."""
    if "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _int_literal(text: str) -> int:
    if len(text) > 1 and text[0] == "0" and text[1] in "0123456789" and text.strip("0"):
        raise ValueError("leading zeros in decimal integer literals are not permitted")
    return int(text, 0)


def _literal_eval(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.literal_eval(text)


def _string_literal_value(text: str) -> str | bytes:
    """Value of one plain (non-f, non-t) string or bytes literal token."""
    n = 0
    while text[n] not in "'\"":
        n += 1
    prefix = text[:n].lower()
    qlen = 3 if text.startswith(('"""', "'''"), n) else 1
    body = text[n + qlen : len(text) - qlen]
    if "\\" in body and "r" not in prefix:
        return _literal_eval(_translate_newlines(text))
    body = _translate_newlines(body)
    if "b" in prefix:
        return body.encode("ascii")
    return body


_ESCAPE = re.compile(r"""\\(\n|[\\'"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|N\{[^}\n]*\}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x|N|u|U)""")
_SIMPLE_ESCAPES = {
    "\n": "",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


def _decode_escape(m: re.Match[str]) -> str:
    esc = m.group(1)
    simple = _SIMPLE_ESCAPES.get(esc)
    if simple is not None:
        return simple
    c = esc[0]
    if c in "01234567":
        return chr(int(esc, 8))
    if len(esc) == 1:  # \x, \N, \u, \U without a valid argument
        raise ValueError(f"truncated \\{esc} escape")
    if c == "N":
        try:
            return unicodedata.lookup(esc[2:-1])
        except KeyError:
            raise ValueError(f"unknown Unicode character name {esc[2:-1]!r}") from None
    code = int(esc[1:], 16)
    if code > 0x10FFFF:
        raise ValueError("illegal Unicode character")
    return chr(code)


def _fstring_text_value(text: str, is_raw: bool) -> str:
    """Value of a literal part of an f/t-string (``{{``/``}}`` and escapes decoded).

    Unknown escapes such as ``\\d`` are kept verbatim, as CPython does (with a
    SyntaxWarning).
    """
    text = _translate_newlines(text)
    if "{{" in text or "}}" in text:
        text = text.replace("{{", "{").replace("}}", "}")
    if is_raw or "\\" not in text:
        return text
    return _ESCAPE.sub(_decode_escape, text)


_COMMENT_SCAN = re.compile(
    r"(?P<s>'{3}(?:\\.|[^\\])*?'{3}|\"{3}(?:\\.|[^\\])*?\"{3}"
    r"|'(?:\\.|[^\\'\n])*'|\"(?:\\.|[^\\\"\n])*\")|\#[^\n]*",
    re.S,
)


def _without_trailing_blanks_and_equals(text: str) -> str:
    """`text` without the blanks and `=` signs that end it (a `t"{x = }"`
    field's expression text). A pattern anchored at the end was tried at
    every character of a blank run, which costs the square of its length."""
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] == "="):
        end -= 1
    return text[:end]


def _strip_comments(text: str) -> str:
    """Remove ``# comments`` (not ``#`` inside string literals) from expression text."""
    if "#" not in text:
        return text
    return _COMMENT_SCAN.sub(lambda m: m.group(0) if m.group("s") is not None else "", text)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


_PARSING = threading.local()


def _relax_string_concatenation_checks() -> None:
    """Let libcst build every implicit string concatenation while we parse.

    libcst 1.9.0 parses ``t"a" t"b"`` but its ``ConcatenatedString._validate``
    raises ``CSTLogicError`` as soon as a ``TemplatedString`` takes part, and it
    rejects ``b"a" "b"`` without saying where.  While :func:`parse_fallback` runs
    (and only then: other libcst users in the process are unaffected) the check is
    reduced to the parenthesis rules; which parts may be mixed is decided by the
    converter, with CPython's messages and an exact location.
    """
    concat = cst.ConcatenatedString
    original = concat._validate
    if getattr(original, "_secreview_patched", False):
        return

    def _validate(self: Any) -> None:
        if not getattr(_PARSING, "active", False):
            original(self)
            return
        super(concat, self)._validate()
        if self.left.lpar or self.left.rpar or self.right.lpar or self.right.rpar:
            raise cst.CSTValidationError("Cannot concatenate parenthesized strings.")

    _validate._secreview_patched = True  # type: ignore[attr-defined]
    concat._validate = _validate  # type: ignore[method-assign]


_relax_string_concatenation_checks()


_RECURSION_LIMIT = 20_000
_LIBCST_AT = re.compile(r"\berror at (\d+):(\d+)")


def _shorten(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def parse_fallback(source: str, filename: str = "<unknown>") -> ast.Module:
    """Parse ``source`` with libcst and return an ``ast.Module`` shaped like CPython 3.14's ``ast.parse``.

    Positions are exact (``col_offset``/``end_col_offset`` are UTF-8 byte offsets as
    in CPython), so ``ast.fix_missing_locations`` is never needed.  Raises
    ``SyntaxError`` (with ``lineno``/``offset``/``msg`` set) when libcst cannot parse
    the source either, or when the source is invalid for Python 3.14 in a way the
    conversion detects (e.g. mixing bytes and str literals).
    """
    if isinstance(source, (bytes, bytearray)):  # defensive: the API takes str
        source = bytes(source).decode("utf-8-sig")
    if "\0" in source:
        raise SyntaxError("source code cannot contain null bytes", (filename, 1, 1, None))
    text = source[1:] if source.startswith("\ufeff") else source
    _PARSING.active = True
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        # libcst's raw_column is often 0; its message carries a better "at L:C".
        message = str(exc.message).strip().splitlines()[0]
        lineno, col = exc.raw_line, exc.raw_column
        m = _LIBCST_AT.search(message)
        if m is not None:
            lineno, col = int(m.group(1)), max(int(m.group(2)) - 1, 0)
        raise _syntax_error(_shorten(message), filename, text, lineno, col) from None
    except (cst.CSTValidationError, cst.CSTLogicError) as exc:
        # Raised while libcst builds its tree (e.g. bytes + str concatenation);
        # libcst does not say where.
        raise _syntax_error(str(exc), filename, text, 1, 0) from None
    except RecursionError:
        raise SyntaxError("too many nested parentheses", (filename, 1, 1, None)) from None
    finally:
        _PARSING.active = False
    conv = _Converter(text)
    # The walk recurses once or twice per nesting level; deeply nested code that
    # libcst accepted must not fail for want of Python frames (on 3.11+ pure
    # Python recursion does not consume the C stack).
    limit = sys.getrecursionlimit()
    if limit < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        return conv.module(module)
    except _SyntaxProblem as exc:
        lineno, col = conv._lc(exc.offset)
        raise _syntax_error(exc.msg, filename, text, lineno, col) from None
    except KeyError as exc:
        missing = exc.args[0] if exc.args else None
        if not (isinstance(missing, type) and issubclass(missing, cst.CSTNode)):
            raise
        # A libcst node for syntax newer than 3.14 (e.g. PEP 798 ``{**d for d in x}``).
        lineno, col = conv._lc(conv.pos)
        raise _syntax_error(
            f"syntax not supported by Python 3.14 ({missing.__name__})", filename, text, lineno, col
        ) from None
    except RecursionError:
        lineno, col = conv._lc(conv.pos)
        raise _syntax_error("too deeply nested for the fallback parser", filename, text, lineno, col) from None
    finally:
        if limit < _RECURSION_LIMIT:
            sys.setrecursionlimit(limit)


# ---------------------------------------------------------------------------
# Explaining files neither parser accepts
# ---------------------------------------------------------------------------

# Strings and comments, so that Python 2 heuristics never look inside them.
_PY2_SCAN = re.compile(
    r"""
    (?P<comment>\#[^\r\n]*)
  | (?P<prefix>(?<![\w])[A-Za-z]{1,2})?
    (?P<string>'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^\\'\r\n])*'|"(?:\\.|[^\\"\r\n])*")
    """,
    re.S | re.X,
)

_PY2_CHECKS: list[tuple[str, re.Pattern[str]]] = [
    ("print statement", re.compile(r"^[ \t]*print(?:[ \t]+(?![ \t]*(?:[=()\[\].,;:+\-*/%&|^<>!]|$))|[ \t]*>>)", re.M)),
    ("exec statement", re.compile(r"^[ \t]*exec[ \t]+(?![ \t]*(?:[=)\].,;:(]|$))", re.M)),
    ("backtick repr", re.compile(r"`")),
    ("'<>' operator", re.compile(r"<>")),
    ("long integer literal", re.compile(r"(?<![\w.])(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|[1-9][0-9]*|0)[lL]\b")),
    ("octal literal", re.compile(r"(?<![\w.])0[0-7]*[1-7][0-7]*(?![\w.])")),
    ("raise with comma", re.compile(r"^[ \t]*raise[ \t]+[\w.]+(?:\([^()\n]*\))?[ \t]*,", re.M)),
]


def _python2_constructs(source: str) -> list[tuple[int, str]]:
    """(line, description) of recognisable Python 2 constructs, in source order."""
    found: list[tuple[int, str]] = []
    pieces: list[str] = []
    last = 0
    for m in _PY2_SCAN.finditer(source):
        pieces.append(source[last : m.start()])
        literal = m.group(0)
        if m.group("string") is not None:
            prefix = (m.group("prefix") or "").lower()
            if prefix in ("ur", "ru"):
                found.append((source.count("\n", 0, m.start()) + 1, f"{prefix}'' string literal"))
            # Keep a quote so "print 'x'" still looks like a print statement.
            replacement = '"' + re.sub(r"[^\r\n]", " ", literal[1:])
        else:
            replacement = re.sub(r"[^\r\n]", " ", literal)
        pieces.append(replacement)
        last = m.end()
    pieces.append(source[last:])
    code = "".join(pieces)
    for what, rx in _PY2_CHECKS:
        for m in rx.finditer(code):
            found.append((code.count("\n", 0, m.start()) + 1, what))
    found.sort(key=lambda item: item[0])
    return found


def describe_syntax_error(source: str, error: SyntaxError) -> str:
    """A short, clear reason for a file that neither parser accepts.

    ``'Python 2 syntax (print statement at line 3)'`` when the file is
    recognisably Python 2 (print/exec statement, backticks, ``<>``, ``0777``,
    ``10L``, ``ur''``, ``raise E, "msg"``), else ``'syntax error at line N: <message>'``.
    """
    constructs = _python2_constructs(source)
    if constructs:
        on_error_line = [c for c in constructs if c[0] == error.lineno]
        line, what = (on_error_line or constructs)[0]
        return f"Python 2 syntax ({what} at line {line})"
    msg = error.msg or str(error)
    if error.lineno:
        return f"syntax error at line {error.lineno}: {msg}"
    return f"syntax error: {msg}"
