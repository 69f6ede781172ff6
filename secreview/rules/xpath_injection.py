"""XPath expression built from data that comes from outside the program.

## What it does
Reports untrusted data that becomes part of the text of an XPath expression:
the expression given to the `xpath()` method of an lxml element or tree, or
compiled with `lxml.etree.XPath()` or `ETXPath()`, or evaluated by an
`XPathEvaluator`.

Sources are Flask's `request` (`args`, `form`, `json`, `get_json()`,
`cookies`, `headers`, ...), the `request` of a Django view (`GET`, `POST`,
...), parameters of Flask and FastAPI route handlers, `self.path` and
`self.headers` in an `http.server.BaseHTTPRequestHandler`, `input()` and
`sys.argv`. The data is followed through assignments, f-strings, `%`,
`.format()`, `+`, `str.join()`, dictionaries and lists, attributes of
`self`, and the project's own functions (into their parameters and out of
their results).

Not reported: values passed as XPath variables, `tree.xpath("//user[@name=$name]",
name=value)` or `etree.XPath("//user[@name=$name]")(tree, name=value)`,
which lxml binds as string values that are never parsed as XPath; values
converted with `int()` or `float()`; values checked against a constant
allow-list or with `.isdigit()`/`re.fullmatch()` before use; and data that
does not come from a source. Escaping quotes by hand is not a sanitiser (XPath
1.0 has no escape character for quotes) and is still reported.

## Why is this bad?
The whole expression is parsed as XPath. A quote in the data closes the string
literal it was meant to fill, and the rest rewrites the query: a login check
`//user[@name='{name}' and @password='{password}']` becomes true for any
password with `' or '1'='1`, and `'] | //* | //*['` selects the whole document
(CWE-643). Unlike SQL, XPath has no access control inside a document: every
node, including hashes and secrets stored next to the data asked for, can be
read.

## Example
```python
from flask import Flask, request
from lxml import etree

app = Flask(__name__)
USERS = etree.parse("/srv/app/users.xml")


@app.route("/users")
def find_user():
    name = request.args["name"]
    found = USERS.xpath(f"//user[@name='{name}']")
    return {"found": len(found)}
```

## Use instead
Keep the expression constant and pass the value as an XPath variable:
```python
from flask import Flask, request
from lxml import etree

app = Flask(__name__)
USERS = etree.parse("/srv/app/users.xml")


@app.route("/users")
def find_user():
    name = request.args["name"]
    found = USERS.xpath("//user[@name=$name]", name=name)
    return {"found": len(found)}
```

## References
- https://cwe.mitre.org/data/definitions/643.html
- https://lxml.de/xpathxslt.html#the-xpath-method
- https://lxml.de/xpathxslt.html#the-xpath-class
- https://owasp.org/www-community/attacks/XPATH_Injection
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class XpathInjection(TaintRule):
    id = "py.xpath-injection"
    name = "XPath expression built from untrusted data"
    cwe = (643,)
    severity = Severity.MEDIUM
    bandit_ids = ()
    taint_kinds = ("xpath",)
    impact = "can rewrite the query to read any node of the document or defeat checks built on it"
    fix_description = (
        "Keep the expression constant and pass values as XPath variables: "
        "`tree.xpath(\"//user[@name=$name]\", name=value)` or "
        "`etree.XPath(\"//user[@name=$name]\")(tree, name=value)`.")


RULE = XpathInjection()
