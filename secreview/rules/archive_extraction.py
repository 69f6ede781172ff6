"""Untrusted tar archive extracted without a safety filter ("tar slip").

## What it does
Reports a tar archive that comes from outside the program and is extracted
without the `"data"` (or `"tar"`) extraction filter: `extractall()` or
`extract()` of a `tarfile.open(...)` archive whose file name or file object
is untrusted, and `shutil.unpack_archive()` of an untrusted archive file.

Sources are uploaded files and request bodies (Flask's `request.files`,
`request.get_data()`, `request.json`, ...; `request.FILES` and
`request.body` in a Django view; `self.rfile` in an
`http.server.BaseHTTPRequestHandler`), parameters of Flask and FastAPI route
handlers (such as a FastAPI `UploadFile`), `input()` and `sys.argv`. The data
is followed through `io.BytesIO()`, decoding, `with` blocks, dictionaries and
lists, attributes of `self`, and the project's own functions (into their
parameters and out of their results).

Not reported: extraction with `filter="data"`, `filter="tar"` or
`filter=tarfile.data_filter`/`tarfile.tar_filter`, including
`shutil.unpack_archive(..., filter="data")`; archives whose file is fixed by
the program (an archive shipped with it); reading members without writing
them (`getnames()`, `getmembers()`, `extractfile()`); zip archives extracted
with `zipfile`, which strips absolute names and `..` components itself; and
data that does not come from a source. `filter="fully_trusted"` is reported:
it is the old, unchecked behaviour.

## Why is this bad?
A tar member's name is whatever the archive says: `../../home/app/.ssh/authorized_keys`
or `/etc/cron.d/job` is written outside the target directory, and symbolic or
hard links let a later member write through them to any place on the file
system (CWE-22). Without a filter, `tarfile` before Python 3.14 extracts
exactly what the archive describes. The `"data"` filter (PEP 706, Python 3.12,
and 3.8.17+, 3.9.17+, 3.10.12+, 3.11.4+) refuses absolute names, names and
links that leave the destination, device files, and clears set-uid bits;
Python 3.14 makes it the default, but code that runs on older versions still
needs it spelled out. Keep Python patched: the filter itself received
security fixes in 2025.

## Example
```python
import tarfile

from flask import Flask, request

app = Flask(__name__)


@app.route("/themes", methods=["POST"])
def upload_theme():
    upload = request.files["theme"]
    with tarfile.open(fileobj=upload.stream) as archive:
        archive.extractall("/srv/themes")
    return "installed"
```

## Use instead
Pass `filter="data"` to every extraction (`extractall()`, `extract()`,
`shutil.unpack_archive()`):
```python
import tarfile

from flask import Flask, request

app = Flask(__name__)


@app.route("/themes", methods=["POST"])
def upload_theme():
    upload = request.files["theme"]
    with tarfile.open(fileobj=upload.stream) as archive:
        archive.extractall("/srv/themes", filter="data")
    return "installed"
```
On a Python without extraction filters, check every member first: refuse
links, absolute names and names whose resolved path leaves the destination.

## References
- https://cwe.mitre.org/data/definitions/22.html
- https://docs.python.org/3/library/tarfile.html#tarfile-extraction-filter
- https://peps.python.org/pep-0706/
- https://docs.python.org/3/library/shutil.html#shutil.unpack_archive
- https://docs.python.org/3/library/zipfile.html#zipfile.ZipFile.extract
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class ArchiveExtraction(TaintRule):
    id = "py.archive-extraction"
    name = "Untrusted tar archive extracted without a safety filter"
    cwe = (22,)
    severity = Severity.HIGH
    bandit_ids = ("B202",)
    taint_kinds = ("archive",)
    impact = ("can write files anywhere the process may write (absolute member names, `..` "
              "components, symbolic and hard links), overwriting code or configuration")
    fix_description = (
        "Extract with `filter=\"data\"` (`archive.extractall(dest, filter=\"data\")`, also for "
        "`extract()` and `shutil.unpack_archive()`), which refuses absolute names, `..` components, "
        "links leaving the destination and special files.")


RULE = ArchiveExtraction()
