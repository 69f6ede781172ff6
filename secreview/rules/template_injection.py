"""Untrusted data used as the source of a template.

## What it does
Follows request data into the *source text* of a template:
`jinja2.Template(source)`, `jinja2.Environment().from_string(source)` (and
Flask's `app.jinja_env.from_string`), `flask.render_template_string(source)`,
`mako.template.Template(text)`, `django.template.Template(template_string)`
and `django.template.Engine().from_string()`. Sources are request data
(Flask's `request`, route parameters, a Django view's `request`), followed
through assignments, string building (an f-string or `+` that splices the
data into template text counts), containers, helpers and attributes of
`self`.

Not reported: the data given to a template as a context variable,
`render_template_string("Hello {{ name }}", name=name)` or
`Template(SOURCE).render(name=name)`, where the template text is the
program's constant and the engine only substitutes the value; templates
loaded by name (`render_template("page.html", ...)`,
`env.get_template(...)`); a source chosen from constants after an
allow-list check; and templates compiled by a
`jinja2.sandbox.SandboxedEnvironment`, Jinja's documented way to render
untrusted templates (it refuses attributes that start with an underscore,
such as `__globals__`, and calls of unsafe functions).

## Why is this bad?
Template languages are programming languages. Whoever writes the template
runs code on the server (CWE-1336, server-side template injection): in Jinja
`{{ cycler.__init__.__globals__.os.popen("id").read() }}` reaches `os`
through an object's globals, Mako's `<% %>` blocks are plain Python, and
even Django's restricted language reads any attribute of the context it is
given. HTML escaping the data does not help: `{{`, `}}` and `<% %>` contain
no HTML special characters.

## Example
```python
from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    return render_template_string(f"<h1>Hello {name}!</h1>")
```

## Use instead
Keep the template text constant and pass the data as a variable, which the
template engine substitutes (and, in Flask, HTML-escapes) without ever
evaluating it:
```python
from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "world")
    return render_template_string("<h1>Hello {{ name }}!</h1>", name=name)
```

## References
- https://cwe.mitre.org/data/definitions/1336.html
- https://jinja.palletsprojects.com/en/stable/api/#jinja2.Environment.from_string
- https://jinja.palletsprojects.com/en/stable/sandbox/
- https://flask.palletsprojects.com/en/stable/api/#flask.render_template_string
- https://docs.makotemplates.org/en/latest/usage.html
- https://docs.djangoproject.com/en/stable/ref/templates/api/#django.template.Template
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class TemplateInjection(TaintRule):
    id = "py.template-injection"
    name = "Untrusted data used as template source"
    cwe = (1336,)
    severity = Severity.HIGH
    taint_kinds = ("template",)
    impact = "can run code on the server through the template language"
    fix_description = (
        "Keep the template text constant (a file or a literal) and pass the data as a context "
        "variable, e.g. render_template_string(\"Hello {{ name }}\", name=name).")


RULE = TemplateInjection()
