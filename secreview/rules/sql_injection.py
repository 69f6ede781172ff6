"""SQL text built from data that comes from outside the program.

## What it does
Reports untrusted data that becomes part of the SQL text of a query: a value
from an HTTP request, a route parameter, `input()` or `sys.argv` that reaches
the first argument of `execute()`, `executemany()` or `executescript()` of a
DB-API cursor or connection (sqlite3, psycopg2, pymysql, Django's
`connection.cursor()`), SQLAlchemy's `text()`, or Django's `raw()`,
`extra()` and `RawSQL()`.

Sources are Flask's `request` (`args`, `form`, `json`, `get_json()`,
`cookies`, `headers`, ...), the `request` of a Django view (`GET`, `POST`,
`COOKIES`, `META`, `body`, ...), parameters of Flask and FastAPI route
handlers, `self.path`, `self.headers` and `self.rfile` in an
`http.server.BaseHTTPRequestHandler`, `input()` and `sys.argv`. The data is
followed through assignments, f-strings, `%`, `.format()`, `+` and
`str.join()`, dictionaries and lists, attributes of `self`, and the
project's own functions (into their parameters and out of their results).

Not reported: values passed as query parameters (the second argument of
`execute()`, bound `:name` parameters given with `text()`, the `params` of
`raw()`, `RawSQL()` and `extra()`), because the driver sends them apart from
the SQL text; values converted with `int()`, `float()` or `uuid.UUID()`;
values checked before use against a constant allow-list
(`if column not in SORTABLE: abort(400)`), with `.isdigit()` or with
`re.fullmatch()` of a constant pattern; and data that does not come from a
source: a helper's parameter is followed only when some caller passes it
untrusted data. Quoting by hand (`name.replace("'", "''")`) is not a
sanitiser and is still reported.

## Why is this bad?
The database parses the whole string as SQL. A quote in the data ends the
string literal it was meant to fill, and what follows is SQL of the
sender's choosing: `' OR '1'='1` returns every row, `UNION SELECT` reads other
tables, and with `executescript()` or drivers that accept several statements,
`'; DROP TABLE users; --` runs a statement of its own (CWE-89). Query
parameters cannot do this: the value travels separately from the SQL text
(or is quoted by the driver) and is never parsed as SQL. Identifiers such as
table and column names cannot be parameters, so they must come from a fixed
set chosen by the program.

## Example
```python
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/users")
def find_user():
    name = request.args.get("name", "")
    conn = sqlite3.connect("app.db")
    rows = conn.execute(f"SELECT id FROM users WHERE name = '{name}'").fetchall()
    return {"ids": [row[0] for row in rows]}
```

## Use instead
Keep the SQL text constant and pass the values as parameters (`?` or `:name`
for sqlite3, `%s` for psycopg2 and pymysql, `:name` with SQLAlchemy's
`text()`, the `params` list of Django's `raw()`):
```python
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/users")
def find_user():
    name = request.args.get("name", "")
    conn = sqlite3.connect("app.db")
    rows = conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchall()
    return {"ids": [row[0] for row in rows]}
```
For a column or table name, look the value up in a constant allow-list and
refuse anything else.

## References
- https://cwe.mitre.org/data/definitions/89.html
- https://docs.python.org/3/library/sqlite3.html#sqlite3-placeholders
- https://www.psycopg.org/docs/usage.html#passing-parameters-to-sql-queries
- https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text
- https://docs.djangoproject.com/en/stable/topics/db/sql/
- https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class SqlInjection(TaintRule):
    id = "py.sql-injection"
    name = "SQL query built from untrusted data"
    cwe = (89,)
    severity = Severity.HIGH
    bandit_ids = ("B608", "B610", "B611")
    taint_kinds = ("sql",)
    impact = "can read, change or delete any data the database account can reach"
    fix_description = (
        "Keep the SQL text constant and pass the values as query parameters "
        "(`cursor.execute(sql, params)`, bound `:name` parameters with `text()`, the `params` of "
        "`raw()`); choose table and column names from a fixed allow-list.")


RULE = SqlInjection()
