"""Request data in an HTTP response header written by `http.server`.

## What it does
Follows request data into `send_header(keyword, value)` of a
`http.server.BaseHTTPRequestHandler` (or `SimpleHTTPRequestHandler`)
subclass, and into the reason phrase of `send_response(code, message)` and
`send_error(code, message)`, which goes into the status line. The sources
are the request as that handler sees it (`self.path`, `self.headers`,
`self.requestline`, `self.rfile`), followed through `urllib.parse`
(`unquote`, `parse_qs`, which decode `%0d%0a` into a real CR LF),
assignments, string building, containers, helper methods and attributes of
`self`.

Not reported: headers set through Flask / Werkzeug (`response.headers[...]`)
or Django (`response["..."]`): both refuse a value that contains a newline
(Werkzeug raises `ValueError`, Django `BadHeaderError`), so the value cannot
start a new header there. Also not reported: values checked against a
constant allow-list, converted with `int()`, reduced to their `len()` or a
hash digest, or percent-encoded with `urllib.parse.quote()` (which leaves no
CR or LF).

## Why is this bad?
`send_header` writes `"%s: %s\\r\\n" % (keyword, value)` to the response as
it is, without looking at the value (and `send_response` writes its message
into the status line the same way). A value that contains CR LF ends the
header and starts another one (CWE-113): the attacker adds `Set-Cookie`
headers (fixing the victim's session), overrides security headers, or ends
the headers altogether and writes a body of their own, which is reflected
script in the victim's browser and can poison shared caches (HTTP response
splitting).

## Example
```python
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        lang = parse_qs(urlsplit(self.path).query).get("lang", ["en"])[0]
        self.send_response(200)
        self.send_header("Content-Language", lang)
        self.end_headers()
```

## Use instead
Accept only known values (or drop CR and LF, or percent-encode the value
with `urllib.parse.quote`) before it goes into a header:
```python
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

LANGUAGES = {"en", "de", "fr"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        lang = parse_qs(urlsplit(self.path).query).get("lang", ["en"])[0]
        if lang not in LANGUAGES:
            self.send_error(400)
            return
        self.send_response(200)
        self.send_header("Content-Language", lang)
        self.end_headers()
```

## References
- https://cwe.mitre.org/data/definitions/113.html
- https://docs.python.org/3/library/http.server.html#http.server.BaseHTTPRequestHandler.send_header
- https://werkzeug.palletsprojects.com/en/stable/datastructures/#werkzeug.datastructures.Headers
- https://docs.djangoproject.com/en/stable/ref/request-response/#setting-header-fields
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class HeaderInjection(TaintRule):
    id = "py.header-injection"
    name = "Request data in a raw HTTP response header"
    cwe = (113,)
    severity = Severity.MEDIUM
    taint_kinds = ("header",)
    impact = "can add headers of their own to the response, or end the headers and write its body"
    fix_description = (
        "Accept only known values for the header (an allow-list, int()), or remove CR and LF / "
        "percent-encode the value (urllib.parse.quote) before send_header().")


RULE = HeaderInjection()
