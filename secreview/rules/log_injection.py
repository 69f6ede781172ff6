"""Untrusted data written into a log message's text.

## What it does
Follows untrusted data into the message argument of a `logging` call:
`logging.info(msg)` and the `debug`, `info`, `warning`, `error`,
`critical`, `exception` and `log` methods of a `logging.getLogger()` logger
(and Flask's `app.logger`), when the data is the message or is built into it
with an f-string, `%`, `.format()`, `+` or `join`. Sources are request data
(Flask's `request`, route parameters, a Django view's `request`, the
`self.path` and `self.headers` of an `http.server` handler), `input()` and
`sys.argv`.

Not reported: the data passed as a lazy formatting argument,
`logger.info("login failed for %s", user)`. Both forms can put the same
newline into a plain-text log file, so this is a deliberate line: with lazy
arguments the message stays the program's constant text and `logging` keeps
the data apart in `record.args`, which is the idiom log tooling parses
(structured and JSON handlers, error trackers that group events by message,
formatters that escape the arguments); `%r` in place of `%s` even prints the
value with its newlines escaped. Values converted with `int()`, serialised
with `json.dumps()` (which escapes control characters), percent-encoded, or
checked against a constant allow-list are not reported either.

## Why is this bad?
Logs are evidence: people and tools read them to decide what happened. Text
built from untrusted data lets its sender write the log (CWE-117): a CR LF
starts a fake entry (`INFO admin logged in from 10.0.0.1`) that hides an
attack or frames someone else, terminal escape sequences act on the console
of whoever tails the file, and markup runs in an HTML log viewer. A `%` in
the text also breaks formatting when the call has arguments.

## Example
```python
import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.route("/login", methods=["POST"])
def login():
    user = request.form.get("user", "")
    logger.warning(f"failed login for {user}")
    return {"ok": False}, 401
```

## Use instead
Keep the message constant and pass the data as an argument; `%r` shows
control characters escaped. If the logs are read as plain text, also use a
formatter that escapes CR and LF in the arguments:
```python
import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.route("/login", methods=["POST"])
def login():
    user = request.form.get("user", "")
    logger.warning("failed login for %r", user)
    return {"ok": False}, 401
```

## References
- https://cwe.mitre.org/data/definitions/117.html
- https://docs.python.org/3/howto/logging.html#optimization
- https://docs.python.org/3/library/logging.html#logging.Logger.debug
- https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class LogInjection(TaintRule):
    id = "py.log-injection"
    name = "Untrusted data in a log message"
    cwe = (117,)
    severity = Severity.LOW
    taint_kinds = ("log",)
    impact = "can forge log entries or hide their own among them"
    fix_description = (
        "Keep the log message constant and pass the data as a lazy argument "
        "(logger.info(\"user %r\", user)); escape CR and LF if the logs are read as plain text.")


RULE = LogInjection()
