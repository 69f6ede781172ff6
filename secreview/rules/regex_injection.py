"""A regular expression taken from untrusted data.

## What it does
Follows untrusted data into the *pattern* argument of the `re` module:
`re.compile`, `re.match`, `re.search`, `re.fullmatch`, `re.sub`, `re.subn`,
`re.split`, `re.findall` and `re.finditer`. Sources are request data (Flask's
`request`, route parameters, a Django view's `request`, the `self.path` and
`self.headers` of an `http.server` handler), `input()` and `sys.argv`,
followed through assignments, string building (data spliced into a larger
pattern counts), containers, helpers and attributes of `self`.

Not reported: untrusted data as the *text* being searched
(`re.search(PATTERN, text)`, `compiled.match(text)`); a pattern escaped with
`re.escape()`, which turns every metacharacter into a literal; data checked
with `re.fullmatch(CONSTANT, value)` or against a constant allow-list before
it is used as a pattern; and a helper's parameter only ever called with
constants.

## Why is this bad?
Python's `re` is a backtracking engine with no time limit, and it does not
release the GIL while matching. A pattern such as `(a+)+$` takes time
exponential in the length of the text (`"a" * 40 + "!"`), so one request
stops a worker, and every thread of the process with it (CWE-1333, ReDoS).
The sender also decides what matches: `.*` turns a search filter into
"everything", and a malformed pattern raises `re.error`.

## Example
```python
import re

from flask import Flask, request

app = Flask(__name__)
USERS = ["alice", "bob", "carol"]


@app.route("/users")
def find_users():
    pattern = re.compile(request.args.get("q", ""), re.IGNORECASE)
    return {"users": [name for name in USERS if pattern.search(name)]}
```

## Use instead
Search for the text literally: `re.escape()` the data before it becomes part
of a pattern (or use `in` / `str.find` when no pattern is needed):
```python
import re

from flask import Flask, request

app = Flask(__name__)
USERS = ["alice", "bob", "carol"]


@app.route("/users")
def find_users():
    pattern = re.compile(re.escape(request.args.get("q", "")), re.IGNORECASE)
    return {"users": [name for name in USERS if pattern.search(name)]}
```

## References
- https://cwe.mitre.org/data/definitions/1333.html
- https://docs.python.org/3/library/re.html#re.escape
- https://owasp.org/www-community/attacks/Regular_expression_Denial_of_Service_-_ReDoS
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class RegexInjection(TaintRule):
    id = "py.regex-injection"
    name = "Regular expression from untrusted data"
    cwe = (1333,)
    severity = Severity.MEDIUM
    taint_kinds = ("redos",)
    impact = "can make matching run for minutes (ReDoS) and decide what the pattern matches"
    fix_description = (
        "Escape the data with re.escape() before it becomes part of a pattern, or search for it "
        "literally (`in`, str.find) instead of as a regular expression.")


RULE = RegexInjection()
