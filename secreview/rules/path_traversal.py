"""File path built from data that comes from outside the program.

## What it does
Reports untrusted data that becomes part of a file system path which is then
opened, sent, written or deleted: the path of `open()`, Flask's
`send_file()`, `os.remove()`/`os.unlink()`/`os.rmdir()`, the `shutil` copy,
move and remove functions, and `pathlib.Path` objects read, written or
removed with `read_text()`, `read_bytes()`, `write_text()`, `write_bytes()`,
`open()` or `unlink()`.

Sources are Flask's `request` (`args`, `form`, `json`, `get_json()`,
`cookies`, `headers`, `files`, ...), the `request` of a Django view (`GET`,
`POST`, `COOKIES`, `META`, ...), parameters of Flask and FastAPI route
handlers, `self.path` and `self.headers` in an
`http.server.BaseHTTPRequestHandler`, `input()` and `sys.argv`. The data is
followed through assignments, f-strings, `%`, `.format()`, `+`,
`os.path.join()`, the `/` operator of `pathlib`, dictionaries and lists,
attributes of `self`, and the project's own functions (into their parameters
and out of their results).

Not reported: a value reduced to a bare file name by
`werkzeug.utils.secure_filename()` or `os.path.basename()`, or converted with
`int()` or `uuid.UUID()`; a path that is normalised (`os.path.realpath()`,
`os.path.abspath()`, `Path.resolve()`) and then checked to stay inside the
base directory (`full.startswith(BASE + os.sep)`,
`full.is_relative_to(BASE)`, `os.path.commonpath([BASE, full]) == BASE`)
before use; a value checked against a constant allow-list; Flask's
`send_from_directory()`, which joins the name safely itself; untrusted data
written *into* a file whose path is fixed; and data that does not come from a
source (a helper's parameter is followed only when some caller passes it
untrusted data). A `startswith()` check on a path that was not normalised
first is no protection (`/srv/files/../../etc/passwd` starts with
`/srv/files`) and is still reported.

## Why is this bad?
A name such as `../../etc/passwd` climbs out of the intended directory, and
an absolute name replaces it altogether: `os.path.join("/srv/files",
"/etc/passwd")` and `Path("/srv/files") / "/etc/passwd"` are both
`/etc/passwd`. Whoever sends the name reads, overwrites or deletes any file
the process may touch: configuration with secrets, source code, SSH keys
(CWE-22).

## Example
```python
import os

from flask import Flask, request

app = Flask(__name__)
UPLOADS = "/srv/uploads"


@app.route("/files/delete", methods=["POST"])
def delete_file():
    os.remove(os.path.join(UPLOADS, request.form["name"]))
    return "deleted"
```

## Use instead
Keep only the last path component with `secure_filename()` (or resolve the
path and check that it stays inside the directory); to serve files use
`send_from_directory()`:
```python
import os

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
UPLOADS = "/srv/uploads"


@app.route("/files/delete", methods=["POST"])
def delete_file():
    os.remove(os.path.join(UPLOADS, secure_filename(request.form["name"])))
    return "deleted"
```

## References
- https://cwe.mitre.org/data/definitions/22.html
- https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.utils.secure_filename
- https://flask.palletsprojects.com/en/stable/api/#flask.send_from_directory
- https://docs.python.org/3/library/os.path.html#os.path.join
- https://docs.python.org/3/library/os.path.html#os.path.realpath
- https://docs.python.org/3/library/pathlib.html#pathlib.PurePath.is_relative_to
- https://owasp.org/www-community/attacks/Path_Traversal
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class PathTraversal(TaintRule):
    id = "py.path-traversal"
    name = "File path built from untrusted data"
    cwe = (22,)
    severity = Severity.HIGH
    bandit_ids = ()
    taint_kinds = ("path",)
    impact = ("can read, overwrite or delete files outside the intended directory, with the "
              "permissions of this process")
    fix_description = (
        "Reduce the value to a bare file name with `werkzeug.utils.secure_filename()` or "
        "`os.path.basename()`, or resolve the joined path with `os.path.realpath()` and refuse it "
        "unless it stays inside the base directory; in Flask, serve files with `send_from_directory()`.")


RULE = PathTraversal()
