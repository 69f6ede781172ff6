"""LDAP search filter or DN built from data that comes from outside the program.

## What it does
Reports untrusted data that becomes part of the search filter or the base DN
of an LDAP search: the `filterstr` and `base` of python-ldap's `search()`,
`search_s()`, `search_st()`, `search_ext()` and `search_ext_s()`, and the
`search_filter` and `search_base` of ldap3's `Connection.search()`.

Sources are Flask's `request` (`args`, `form`, `json`, `get_json()`,
`cookies`, `headers`, ...), the `request` of a Django view (`GET`, `POST`,
...), parameters of Flask and FastAPI route handlers, `self.path` and
`self.headers` in an `http.server.BaseHTTPRequestHandler`, `input()` and
`sys.argv`. The data is followed through assignments, f-strings, `%`,
`.format()`, `+`, `str.join()`, dictionaries and lists, attributes of
`self`, and the project's own functions (into their parameters and out of
their results).

Not reported: values escaped for a filter with
`ldap.filter.escape_filter_chars()` or `ldap3.utils.conv.escape_filter_chars()`,
or placed with `ldap.filter.filter_format()`, which escapes each value; DN
parts escaped with `ldap.dn.escape_dn_chars()` or `ldap3.utils.dn.escape_rdn()`;
values converted with `int()`; values checked against a constant allow-list
or with `.isdigit()`/`re.fullmatch()` before use; and data that does not come
from a source. Escaping for a filter does not make a value safe in a DN, nor
the other way round.

## Why is this bad?
An LDAP filter is a small language (RFC 4515): `*`, `(`, `)`, `\\` and NUL
have meaning. A user name of `*` matches every entry, and `admin)(|(uid=*`
closes the intended condition and opens a new one, so a lookup built as
`(&(uid={name})(memberOf=cn=staff,...))` can match entries it was meant to
exclude (CWE-90). Applications that authorise or log in users based on what
such a search returns can be bypassed, and wildcards let an attacker
enumerate the directory or guess attribute values one character at a time.

## Example
```python
import ldap
from flask import Flask, request

app = Flask(__name__)
DIRECTORY = ldap.initialize("ldap://ldap.example.com")


@app.route("/people")
def find_person():
    uid = request.args["uid"]
    found = DIRECTORY.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, f"(uid={uid})")
    return {"found": len(found)}
```

## Use instead
Escape every value placed in a filter (or let `filter_format()` do it):
```python
import ldap
from flask import Flask, request
from ldap.filter import escape_filter_chars

app = Flask(__name__)
DIRECTORY = ldap.initialize("ldap://ldap.example.com")


@app.route("/people")
def find_person():
    uid = escape_filter_chars(request.args["uid"])
    found = DIRECTORY.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, f"(uid={uid})")
    return {"found": len(found)}
```

## References
- https://cwe.mitre.org/data/definitions/90.html
- https://www.python-ldap.org/en/latest/reference/ldap-filter.html
- https://www.python-ldap.org/en/latest/reference/ldap-dn.html
- https://ldap3.readthedocs.io/en/latest/searches.html
- https://www.rfc-editor.org/rfc/rfc4515
- https://cheatsheetseries.owasp.org/cheatsheets/LDAP_Injection_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class LdapInjection(TaintRule):
    id = "py.ldap-injection"
    name = "LDAP filter or DN built from untrusted data"
    cwe = (90,)
    severity = Severity.HIGH
    bandit_ids = ()
    taint_kinds = ("ldap",)
    impact = ("can rewrite the search to match other entries, enumerate the directory, or bypass a "
              "login or permission check built on the result")
    fix_description = (
        "Escape every value placed in a filter with `escape_filter_chars()` (python-ldap's "
        "`ldap.filter` or ldap3's `ldap3.utils.conv`), or build the filter with "
        "`ldap.filter.filter_format()`; escape DN parts with `ldap.dn.escape_dn_chars()`.")


RULE = LdapInjection()
