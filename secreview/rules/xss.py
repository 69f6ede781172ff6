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

from secreview.model import Severity
from secreview.rules.base import TaintRule


class Xss(TaintRule):
    id = "py.xss"
    name = "Untrusted data in an HTML response"
    cwe = (79,)
    severity = Severity.MEDIUM
    bandit_ids = ("B308", "B703", "B704")
    taint_kinds = ("xss",)
    impact = "can run script in the victim's browser session"
    fix_description = (
        "Escape the value where it is inserted into HTML (markupsafe.escape, html.escape), or pass "
        "it to an autoescaping template (render_template with a .html file); never give request "
        "data to mark_safe() or Markup().")


RULE = Xss()
