"""Untrusted XML parsed by an lxml parser that resolves external entities.

## What it does
Reports XML from outside the program parsed with an lxml parser built with
`resolve_entities=True`: the document reaching `lxml.etree.fromstring()`,
`XML()` or `parse()` whose `parser` is an `etree.XMLParser(...)` (given
inline, or through a name assigned from the constructor) that sets
`resolve_entities` to `True`.

Sources are request bodies and uploads (Flask's `request.data`,
`get_data()`, `files`, `form`, ...; `request.body` and `request.FILES` in a
Django view; `self.rfile` in an `http.server.BaseHTTPRequestHandler`),
parameters of Flask and FastAPI route handlers, `input()` and `sys.argv` (a
file name chooses the document). The data is followed through assignments,
string building, decoding, dictionaries and lists, attributes of `self`, and
the project's own functions (into their parameters and out of their
results).

Not reported: parsers built with `resolve_entities=False` or
`resolve_entities="internal"` (only entities declared in the document's own
DTD are expanded); parsers left at lxml's default, which is `"internal"` since
lxml 5.0 (earlier versions resolved external entities by default: set the
option explicitly if older versions may be installed); the standard library
parsers (`xml.etree.ElementTree`, `xml.dom.minidom`, `xml.sax` since Python
3.7.1), which do not load external entities, and `defusedxml`; a permissive
parser used only on documents fixed by the program; and data that does not
come from a source.

## Why is this bad?
A document can declare an entity whose value is a URL or a file,
`<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>`, and refer to it as
`&x;`. With `resolve_entities=True` libxml2 reads that file (or, when
`no_network=False`, fetches that URL from the server) and puts its content
into the parsed tree, where the application often echoes it back: local file
disclosure and server-side request forgery (CWE-611). Nested entity
definitions can also inflate a small document far beyond its size.

## Example
```python
from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.route("/invoices", methods=["POST"])
def import_invoice():
    parser = etree.XMLParser(resolve_entities=True)
    root = etree.fromstring(request.get_data(), parser=parser)
    return {"items": len(root)}
```

## Use instead
Build the parser with `resolve_entities=False` (keep `no_network=True`, the
default, and leave `load_dtd` off), or parse untrusted XML with `defusedxml`:
```python
from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.route("/invoices", methods=["POST"])
def import_invoice():
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(request.get_data(), parser=parser)
    return {"items": len(root)}
```

## References
- https://cwe.mitre.org/data/definitions/611.html
- https://lxml.de/apidoc/lxml.etree.html#lxml.etree.XMLParser
- https://lxml.de/FAQ.html#how-do-i-use-lxml-safely-as-a-web-service-endpoint
- https://docs.python.org/3/library/xml.html#xml-vulnerabilities
- https://github.com/tiran/defusedxml
- https://cheatsheetseries.owasp.org/cheatsheets/XML_External_Entity_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class Xxe(TaintRule):
    id = "py.xxe"
    name = "Untrusted XML parsed with external entity resolution on"
    cwe = (611,)
    severity = Severity.HIGH
    bandit_ids = ("B320",)
    taint_kinds = ("xxe",)
    impact = ("can make the parser read local files into the document or fetch URLs from the "
              "server, and inflate a small document with nested entities")
    fix_description = (
        "Build the parser with `resolve_entities=False` (keep `no_network=True` and leave "
        "`load_dtd` off), or parse untrusted XML with `defusedxml`.")


RULE = Xxe()
