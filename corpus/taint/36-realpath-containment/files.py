"""Read-only browser for the team's shared folder."""

import os
from pathlib import Path

from flask import Flask, abort, render_template, request, send_file

app = Flask(__name__)
SHARED = os.path.realpath("/srv/shared")
ARCHIVE = Path("/srv/archive").resolve()


@app.route("/files/download")
def download():
    requested = request.args.get("path", "")
    full = os.path.realpath(os.path.join(SHARED, requested))
    if not full.startswith(SHARED + os.sep):
        abort(403)
    return send_file(full)  # safe: py.path-traversal


@app.route("/files/preview")
def preview():
    full = os.path.realpath(os.path.join(SHARED, request.args["path"]))
    if os.path.commonpath([SHARED, full]) != SHARED:
        abort(403)
    with open(full, encoding="utf-8", errors="replace") as fh:  # safe: py.path-traversal
        text = fh.read(4096)
    return render_template("preview.html", text=text)  # safe: py.xss


@app.route("/archive/<path:name>")
def archived(name):
    target = (ARCHIVE / name).resolve()
    if not target.is_relative_to(ARCHIVE):
        abort(404)
    return send_file(target)  # safe: py.path-traversal
