"""Outgoing request whose destination is chosen by data from outside the program.

## What it does
Reports untrusted data that decides where the server sends a request: the URL
given to `requests` (`get()`, `post()`, `request()`, ..., and the methods of a
`requests.Session`), `httpx` (functions and `Client` methods), `aiohttp`
sessions and `urllib.request.urlopen()`, and the host given to
`http.client.HTTPConnection`/`HTTPSConnection`.

Sources are Flask's `request` (`args`, `form`, `json`, `get_json()`,
`cookies`, `headers`, ...), the `request` of a Django view (`GET`, `POST`,
`META`, ...), parameters of Flask and FastAPI route handlers, `self.path` and
`self.headers` in an `http.server.BaseHTTPRequestHandler`, `input()` and
`sys.argv`. The data is followed through assignments, f-strings, `%`,
`.format()`, `+`, `str.join()`, `urljoin()`, dictionaries and lists,
attributes of `self`, and the project's own functions (into their parameters
and out of their results).

Not reported: data placed after a fixed scheme and host, such as
`f"https://api.example.com/items/{item_id}"` (the `/` after the host ends the
authority, so nothing that follows can change the destination); query
parameters, headers and bodies (`params=`, `json=`, `data=`, `headers=`); the
path given to `HTTPConnection.request()` of a connection to a fixed host; a
host or URL checked against a constant allow-list (`if host not in
ALLOWED_HOSTS: abort(400)`) before use; and data that does not come from a
source. A fixed prefix that does not end the host is still reported:
`"https://api.example.com" + path` goes to `evil.test` when `path` is
`@evil.test/`, and `urljoin(BASE, value)` goes wherever an absolute `value`
says.

## Why is this bad?
The request leaves from the server, inside its network and with its
credentials. Whoever picks the URL reaches services that are not exposed to
them: cloud metadata endpoints (`http://169.254.169.254/` hands out instance
credentials), admin interfaces on `localhost`, databases and queues on the
internal network; the response, or its timing, tells them what they found
(CWE-918). `urlopen()` also accepts `file://` URLs, which read local files.
Checking the URL with a block-list of addresses does not help: redirects,
DNS names that resolve to internal addresses and alternative spellings of an
IP address all get past it.

## Example
```python
import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/preview")
def preview():
    page = requests.get(request.args["url"], timeout=5)
    return {"status": page.status_code}
```

## Use instead
Keep the scheme and host fixed and let the input choose only the path or the
query (or check the host against an allow-list of known hosts):
```python
from urllib.parse import quote

import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/preview")
def preview():
    item = quote(request.args["item"], safe="")
    page = requests.get(f"https://catalog.example.com/items/{item}", timeout=5)
    return {"status": page.status_code}
```

## References
- https://cwe.mitre.org/data/definitions/918.html
- https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
- https://requests.readthedocs.io/en/latest/api/
- https://www.python-httpx.org/api/
- https://docs.python.org/3/library/urllib.request.html#urllib.request.urlopen
- https://docs.python.org/3/library/urllib.parse.html#urllib.parse.urljoin
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class Ssrf(TaintRule):
    id = "py.ssrf"
    name = "Outgoing request to a destination chosen by untrusted data"
    cwe = (918,)
    severity = Severity.HIGH
    bandit_ids = ("B310",)
    taint_kinds = ("ssrf",)
    impact = ("can make the server send requests to internal services, cloud metadata endpoints or "
              "any other host it can reach, and often read the answers")
    fix_description = (
        "Keep the scheme and host fixed in the program and let the data choose only the path or "
        "query (`f\"https://api.example.com/items/{quote(item_id, safe='')}\"`), or check the host "
        "against an allow-list of known hosts before sending the request.")


RULE = Ssrf()
