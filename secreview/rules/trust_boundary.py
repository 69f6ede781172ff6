"""Request data stored in the Flask session.

## What it does
Follows request data (`flask.request` `args`, `form`, `json`, `cookies`,
`headers`, ..., and Flask route parameters) into a write to `flask.session`:
`session["key"] = value`, through assignments, string building, containers,
helper functions and attributes of `self`.

Not reported: reading the session; storing constants or values the server
makes itself (`secrets.token_hex()`, the result of its own look-ups that do not
carry request data); and storing a value after checking it against a constant
allow-list (`if plan not in PLANS: abort(400)`, or inside
`if plan in PLANS:`), which limits it to values the program chose.
Converting the value with `int()` is not enough and stays reported:
`session["user_id"] = int(request.args["uid"])` is still the client's choice.

## Why is this bad?
Flask's session is a cookie signed with the application's `SECRET_KEY`:
the client can read it but cannot change it, so code reads
`session["user"]` or `session["role"]` as facts the server established after
its own checks. Copying request data into it unchecked crosses that trust
boundary (CWE-501): a later request, or another part of the code, trusts the
value as if the server had vouched for it. A login step that stores the
submitted user name before the password is checked, a checkout that keeps
the submitted price, or a wizard that keeps the submitted role all let the
client decide what the server later treats as verified.

## Example
```python
from flask import Flask, request, session

app = Flask(__name__)


@app.route("/checkout/plan", methods=["POST"])
def choose_plan():
    session["plan"] = request.form["plan"]
    return {"next": "/checkout/pay"}
```

## Use instead
Store only values the server chose or verified: check the submitted value
against the allowed ones first (or store the server's own record of it, such
as a database id it looked up for the logged-in user):
```python
from flask import Flask, abort, request, session

app = Flask(__name__)
PLANS = {"basic", "pro"}


@app.route("/checkout/plan", methods=["POST"])
def choose_plan():
    plan = request.form.get("plan", "")
    if plan not in PLANS:
        abort(400)
    session["plan"] = plan
    return {"next": "/checkout/pay"}
```

## References
- https://cwe.mitre.org/data/definitions/501.html
- https://flask.palletsprojects.com/en/stable/api/#sessions
- https://flask.palletsprojects.com/en/stable/quickstart/#sessions
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class TrustBoundary(TaintRule):
    id = "py.trust-boundary"
    name = "Request data stored in the session"
    cwe = (501,)
    severity = Severity.LOW
    taint_kinds = ("trust",)
    impact = "can plant a value that later code trusts as one the server established"
    fix_description = (
        "Store only values the server chose or verified in the session: check the request value "
        "against an allow-list (or look up the server's own record) before storing it.")


RULE = TrustBoundary()
