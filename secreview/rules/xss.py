"""Untrusted data written into an HTML response without escaping.

## What it does
Follows request data to the places where it becomes part of an HTML page
unescaped: the string a Flask view returns (Flask sends a returned `str` as a
`text/html` response), `flask.make_response(body)` and `flask.Response(body)`,
Django's `HttpResponse(content)` (whose default content type is `text/html`),
FastAPI / Starlette's `HTMLResponse(content)`, Django's `mark_safe()` and
MarkupSafe's `Markup()`, which tell the template engine that a string is
already safe HTML, so autoescaping leaves it alone, and the format string of
Django's `format_html()`, which is not escaped.

Sources are request data: `flask.request` (`args`, `form`, `json` and
`get_json()`, `cookies`, `headers`, ...), the URL parameters of a Flask route
(`@app.route("/hello/<name>")`) or a FastAPI endpoint, and the `GET`,
`POST`, `COOKIES` and `META` of a Django view's `request`, followed through
assignments, string building (f-strings, `%`, `.format`, `+`, `join`),
containers, helper functions and attributes of `self`.

Without a flow from a request, the rule still reports `mark_safe()`,
`Markup()` and `SafeString()` given HTML built from non-constant data with an
f-string, `%`, `.format()`, `+` or `"".join()` (`mark_safe(f"<b>{name}</b>")`),
with medium confidence: the value may come from the database or another
user, and marking it safe switches autoescaping off for it. Parts that are
escaped (`escape()`, `conditional_escape()`, `format_html()`), numbers
(`len()`, `int()`, `obj.pk`, `{n:d}`), translated constants, URLs built by
`reverse()`/`url_for()` and stored files' `.url` (percent-encoded) do not count; nor do `mark_safe(format_html(...))`,
`mark_safe(render_to_string(...))` and `Markup(escape(x))`, which mark text
that is already escaped, nor a helper whose every caller in the project
passes constants. When the flow is also found, the flow's finding replaces
this one.

Not reported: a value escaped on the way (`markupsafe.escape()`,
`html.escape()`, Django's `escape()`, or an argument of
`format_html("<b>{}</b>", name)`, which escapes its arguments), converted to
a number (`int()`), or checked against a constant allow-list
(`if colour not in COLOURS: abort(400)`); a value passed to
`render_template("page.html", name=name)` or Django's `render()`, where the
template text is the program's and every variable is autoescaped; a dict or
list returned from a Flask view, `jsonify()` and `JsonResponse`, which are
sent as `application/json`, a type browsers do not render as HTML, and a
response given a non-HTML type (`content_type="text/plain"`); and a helper's
parameter that is only ever called with constants.

## Why is this bad?
A page that echoes request data unescaped lets whoever writes the request
write the page (CWE-79). An attacker sends the victim a link such as
`/search?q=<script>...</script>`; the victim's browser runs the script as part
of the site, with the victim's session: it can read what the page shows, send
requests as the user (including changing their password or e-mail address),
and read cookies that are not `HttpOnly`. `mark_safe` and `Markup` are the
same hole inside templates: they switch autoescaping off for that value.

## Example
```python
from flask import Flask, request

app = Flask(__name__)


@app.route("/search")
def search():
    query = request.args.get("q", "")
    return f"<h1>Results for {query}</h1>"
```

## Use instead
Escape the value where it enters the HTML (`markupsafe.escape` turns `<`,
`>`, `&`, `'` and `"` into entities), or better, pass it to an autoescaping
template with `render_template("search.html", query=query)`:
```python
from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/search")
def search():
    query = request.args.get("q", "")
    return f"<h1>Results for {escape(query)}</h1>"
```

## References
- https://cwe.mitre.org/data/definitions/79.html
- https://flask.palletsprojects.com/en/stable/web-security/#cross-site-scripting-xss
- https://markupsafe.palletsprojects.com/en/stable/
- https://docs.djangoproject.com/en/stable/ref/utils/#django.utils.safestring.mark_safe
- https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import TaintRule, lazy_compile, looks_untrusted, origin_trace

# Calls that tell the template engine their argument is already safe HTML.
_MARK_SAFE = {
    "django.utils.safestring.mark_safe": "mark_safe",
    "django.utils.safestring.SafeString": "SafeString",
    "django.utils.safestring.SafeText": "SafeText",
    "markupsafe.Markup": "Markup",
    "jinja2.Markup": "Markup",
    "flask.Markup": "Markup",
}
_DJANGO_FORMAT_HTML = "django.utils.html.format_html"
# A part produced by one of these is escaped, a number, or a quoted URL.
_SAFE_CALL_WORDS = frozenset({
    "escape", "escaped", "sanitize", "sanitise", "sanitized", "bleach", "quote", "urlencode",
    "url", "uri", "reverse", "static", "len", "int", "float", "round", "abs", "sum", "count",
    "gettext", "ugettext", "pgettext", "ngettext",
})
_SAFE_CALLS = frozenset({
    "_", "int", "float", "len", "round", "abs", "sum", "min", "max", "bool", "ord", "hash", "id",
    "format_html", "format_html_join", "render_to_string", "render_template", "render_template_string",
    "intcomma", "naturaltime", "naturalday", "date_format", "number_format", "floatformat",
})
# A name or attribute named with only these words holds a number.
_NUMBER_WORDS = frozenset({"id", "pk", "count", "total", "size", "length", "len", "num", "number", "index",
                           "idx", "year", "age", "width", "height", "qty", "quantity", "percent", "pct",
                           "port"})
_NUMERIC_SPEC = frozenset("bcdeEfFgGnoxX%")
_PERCENT = lazy_compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
_MAX_DEPTH = 6


class Xss(TaintRule):
    id = "py.xss"
    name = "Untrusted data in an HTML response"
    cwe = (79,)
    severity = Severity.MEDIUM
    bandit_ids = ("B308", "B703", "B704")
    needles = ("mark_safe", "SafeString", "SafeText", "Markup")  # what `check` looks at
    taint_kinds = ("xss",)
    impact = "can run script in the victim's browser session"
    fix_description = (
        "Escape the value where it is inserted into HTML (markupsafe.escape, html.escape), or pass "
        "it to an autoescaping template (render_template with a .html file); never give request "
        "data to mark_safe() or Markup().")
    mechanical_fixes = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        """`mark_safe()` / `Markup()` over HTML built from non-constant parts
        (the taint engine reports the flows from requests; this catches the
        values whose origin it cannot see, such as database fields)."""
        for call, name in ctx.calls_ending(*self.needles):
            marker = _MARK_SAFE.get(name)
            if marker is None or not call.args or any(isinstance(a, ast.Starred) for a in call.args):
                continue
            built, via = self._built_html(ctx, call.args[0])
            if built is None:
                continue
            unsafe = self._unsafe_parts(ctx, built, 0)
            if not unsafe:
                continue
            yield self._report(ctx, call, marker, built, via, unsafe)

    # ---------------------------------------------------------- building
    @staticmethod
    def _built_html(ctx: FileContext, arg: ast.expr) -> tuple[ast.expr | None, ast.expr | None]:
        """The string-building expression marked safe: the argument itself or
        the one value of the local name it is (`html = f"..."; mark_safe(html)`)."""
        if _is_building(ctx, arg):
            return arg, None
        if isinstance(arg, ast.Name):
            values = ctx.assigned_values(arg)
            if values is not None and len(values) == 1 and _is_building(ctx, values[0]):
                return values[0], arg
        return None, None

    def _unsafe_parts(self, ctx: FileContext, expr: ast.expr, depth: int) -> list[ast.expr]:
        """The non-constant pieces of a built string that are not escaped,
        numeric or otherwise harmless."""
        if depth > _MAX_DEPTH or ctx.is_constant(expr):
            return []
        d = depth + 1
        if isinstance(expr, ast.JoinedStr):
            out: list[ast.expr] = []
            for value in expr.values:
                if isinstance(value, ast.FormattedValue) and not _numeric_spec(value):
                    out.extend(self._unsafe_parts(ctx, value.value, d))
            return out
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self._unsafe_parts(ctx, expr.left, d) + self._unsafe_parts(ctx, expr.right, d)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
            right = expr.right
            items = right.elts if isinstance(right, ast.Tuple) else (
                [v for v in right.values] if isinstance(right, ast.Dict) else [right])
            if _percent_numeric(expr.left, len(items)):
                return []
            return [p for item in items for p in self._unsafe_parts(ctx, item, d)]
        if isinstance(expr, ast.IfExp):
            return self._unsafe_parts(ctx, expr.body, d) + self._unsafe_parts(ctx, expr.orelse, d)
        if isinstance(expr, (ast.GeneratorExp, ast.ListComp)):
            return self._unsafe_parts(ctx, expr.elt, d)
        if isinstance(expr, (ast.List, ast.Tuple)):
            return [p for e in expr.elts for p in self._unsafe_parts(ctx, e, d)]
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in ("format", "join") and ctx.is_constant(func.value):
                return [p for a in [*expr.args, *(k.value for k in expr.keywords)]
                        for p in self._unsafe_parts(ctx, a, d)]
            if ctx.call_name(expr) == "str" and len(expr.args) == 1:
                return self._unsafe_parts(ctx, expr.args[0], d)
            return [] if self._safe_call(ctx, expr) else [expr]
        if isinstance(expr, (ast.Name, ast.Attribute)):
            last = _words(expr.id if isinstance(expr, ast.Name) else expr.attr)
            if last and last <= _NUMBER_WORDS:
                return []
            if isinstance(expr, ast.Attribute) and expr.attr == "url":
                return []  # a stored file's URL (`obj.image.url`): percent-encoded by the storage
            return self._name_parts(ctx, expr, d) if isinstance(expr, ast.Name) else [expr]
        if isinstance(expr, ast.Subscript):
            key = ctx.literal_values(expr.slice)
            if key and isinstance(key[0], str) and _words(key[0]) and _words(key[0]) <= _NUMBER_WORDS:
                return []
        return [expr]

    def _name_parts(self, ctx: FileContext, name: ast.Name, depth: int) -> list[ast.expr]:
        """A local name is safe when every value given to it is (a list also
        through its `.append()`/`.extend()` calls); a parameter or a loop
        variable is not known to be."""
        values = ctx.assigned_values(name)
        if not values:
            return [name]
        if all(isinstance(v, (ast.List, ast.Tuple)) for v in values):
            return [] if self._list_of_safe(ctx, name, depth) else [name]
        if any(self._unsafe_parts(ctx, value, depth) for value in values):
            return [name]
        return []

    def _list_of_safe(self, ctx: FileContext, name: ast.Name, depth: int) -> bool:
        """`items = []` then only `items.append(<safe>)`: the list holds safe HTML."""
        values = ctx.assigned_values(name)
        if not values or not all(isinstance(v, (ast.List, ast.Tuple)) for v in values):
            return False
        scope = ctx.enclosing_function(name) or ctx.tree
        added: list[ast.expr] = [e for v in values for e in v.elts]  # type: ignore[attr-defined]
        for node in ast.walk(scope):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == name.id):
                if node.func.attr == "append":
                    added.extend(node.args)
                elif node.func.attr == "extend":
                    added.extend(node.args)
                elif node.func.attr not in ("sort", "reverse", "pop", "clear"):
                    return False
        return all(not self._unsafe_parts(ctx, a, depth + 1) for a in added)

    @staticmethod
    def _safe_call(ctx: FileContext, call: ast.Call) -> bool:
        """The call escapes, counts, translates a constant or builds a URL."""
        name = ctx.call_name(call) or ""
        if name in _MARK_SAFE:
            return True  # judged on its own where it is called
        func = call.func
        last = name.split(".")[-1] if name else (func.attr if isinstance(func, ast.Attribute) else "")
        if last in _SAFE_CALLS:
            return True
        return bool(_words(last) & _SAFE_CALL_WORDS)

    # ----------------------------------------------------------- report
    def _report(self, ctx: FileContext, call: ast.Call, marker: str, built: ast.expr, via: ast.expr | None,
                unsafe: list[ast.expr]) -> Finding:
        shown = ", ".join(f"`{ctx.source_of(p, 60)}`" for p in unsafe[:3])
        how = _how_built(built)
        trace, notes = origin_trace(ctx, unsafe)
        held = f" (held in `{ctx.source_of(via)}`)" if via is not None else ""
        explanation = (
            f"`{ctx.source_of(call.func)}` tells the template engine that this text is safe HTML, so "
            f"autoescaping leaves it alone, but the text is built with {how}{held} from {shown}, which "
            f"is not escaped: {notes}. If any of it can hold text a user wrote (a name, a title, a "
            "comment stored in the database), a `<script>` in it runs in every reader's browser with "
            "their session.")
        if marker == "Markup":
            description = ("Let Markup escape the values: Markup(\"<b>{}</b>\").format(name) (or "
                           "escape(name)) instead of building the string first.")
        else:
            description = ("Build the HTML with django.utils.html.format_html(\"<b>{}</b>\", name), which "
                           "escapes its arguments, instead of mark_safe() over a formatted string.")
        return self.finding(
            ctx, call,
            message=f"`{ctx.source_of(call.func)}` marks HTML built from {shown} as safe without escaping it.",
            explanation=explanation,
            fix=Fix(description, self._rewrite(ctx, call, marker, built) if via is None else None),
            confidence=Confidence.HIGH if looks_untrusted(ctx, unsafe) else Confidence.MEDIUM,
            trace=trace)

    @staticmethod
    def _rewrite(ctx: FileContext, call: ast.Call, marker: str, built: ast.expr) -> str | None:
        """`mark_safe(f"<b>{x}</b>")` -> `format_html("<b>{}</b>", x)` (when
        format_html is imported by name) and `Markup(f"<b>{x}</b>")` ->
        `Markup("<b>{}</b>").format(x)`: both escape the values."""
        if not isinstance(built, ast.JoinedStr) or len(call.args) != 1 or call.keywords:
            return None
        template: list[str] = []
        values: list[str] = []
        for part in built.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                template.append(part.value.replace("{", "{{").replace("}", "}}"))
            elif isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                text = ctx.segment(part.value)
                if text is None or "\n" in text:
                    return None
                template.append("{}")
                values.append(text)
            else:
                return None
        literal = repr("".join(template))
        if marker == "Markup":
            new = f"{ctx.source_of(call.func, 200)}({literal}).format({', '.join(values)})"
        else:
            local = next((n for n, t in ctx.imports.items() if t == _DJANGO_FORMAT_HTML), None)
            if local is None:
                return None
            new = f"{local}({literal}, {', '.join(values)})"
        return ctx.replace_source(call, new)


def _is_building(ctx: FileContext, expr: ast.expr) -> bool:
    """An f-string, `%`, `+`, `.format()` or `"".join()` that is not constant."""
    if ctx.is_constant(expr):
        return False
    if isinstance(expr, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in expr.values)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        return _has_text(expr.left) or (isinstance(expr.op, ast.Add) and _has_text(expr.right))
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("format", "join"):
        return isinstance(expr.func.value, ast.Constant) and isinstance(expr.func.value.value, str)
    return False


def _has_text(expr: ast.expr) -> bool:
    """The operand is (or starts with) a string literal or an f-string."""
    while isinstance(expr, ast.BinOp):
        expr = expr.left
    return isinstance(expr, ast.JoinedStr) or (isinstance(expr, ast.Constant) and isinstance(expr.value, str))


def _numeric_spec(value: ast.FormattedValue) -> bool:
    """`{n:d}`, `{price:.2f}`: the field is formatted as a number."""
    spec = value.format_spec
    if not isinstance(spec, ast.JoinedStr) or not spec.values:
        return False
    last = spec.values[-1]
    return isinstance(last, ast.Constant) and isinstance(last.value, str) and last.value[-1:] in _NUMERIC_SPEC


def _percent_numeric(template: ast.expr, count: int) -> bool:
    """`"<b>%d</b>" % n`: every conversion is numeric."""
    if not (isinstance(template, ast.Constant) and isinstance(template.value, str)):
        return False
    kinds = [k for k in _PERCENT.findall(template.value) if k != "%"]
    return bool(kinds) and all(k in "diouxXeEfFgG" for k in kinds)


def _how_built(expr: ast.expr) -> str:
    if isinstance(expr, ast.JoinedStr):
        return "an f-string"
    if isinstance(expr, ast.BinOp):
        return "`%` formatting" if isinstance(expr.op, ast.Mod) else "`+` concatenation"
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        return f"`.{expr.func.attr}()`"
    return "string building"


RULE = Xss()
