"""Module names when several import roots share a review: projects or
scripts side by side, and project modules named like library modules."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secreview.config import Config
from secreview.engine import review


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


SIDE_BY_SIDE = {
    # Two projects under one review, each run as a script from its own folder
    # (no __init__.py): both have `app.py` and `db.py`. Only the second one's
    # `find` builds SQL from its argument.
    "alpha/app.py": """\
        from flask import Flask, request

        from db import find

        app = Flask(__name__)


        @app.route("/a")
        def search():
            return {"rows": find(request.args["name"])}
        """,
    "alpha/db.py": """\
        import sqlite3


        def find(name):
            return sqlite3.connect("a.db").execute("SELECT * FROM t WHERE name = ?", (name,)).fetchall()
        """,
    "beta/app.py": """\
        from flask import Flask, request

        import db

        app = Flask(__name__)


        @app.route("/b")
        def search():
            return {"rows": db.find(request.args["name"])}
        """,
    "beta/db.py": """\
        import sqlite3


        def find(name):
            return sqlite3.connect("b.db").execute("SELECT * FROM t WHERE name = '%s'" % name).fetchall()
        """,
}


def test_projects_side_by_side_import_their_own_modules(tmp_path):
    root = _write(tmp_path, SIDE_BY_SIDE)
    report = review([str(root)], Config(), root=str(root), jobs=1)
    assert report.errors == []
    [finding] = report.findings
    assert (finding.rule, finding.path, finding.line) == ("py.sql-injection", "beta/db.py", 5)
    assert [step.path for step in finding.trace][0] == "beta/app.py"
    # Swapped: the first root (which keeps the plain names) is the vulnerable one.
    swapped = {name.replace("alpha/", "gamma/").replace("beta/", "alpha/"): text
               for name, text in SIDE_BY_SIDE.items()}
    root = _write(tmp_path / "swapped", swapped)
    [finding] = review([str(root)], Config(), root=str(root), jobs=1).findings
    assert (finding.path, finding.line) == ("alpha/db.py", 5)
    assert [step.path for step in finding.trace][0] == "alpha/app.py"


def test_a_project_module_named_like_a_library_module_does_not_hide_the_library(tmp_path):
    """`server.py` in the project must not turn `http.server` into project
    code (its request model would be lost, and the flow with it)."""
    root = _write(tmp_path, {
        "tools/server.py": "PORT = 8080\n",
        "web/handler.py": """\
            import http.server as hs


            class Handler(hs.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(302)
                    self.send_header("Location", self.path[1:])
                    self.end_headers()
            """,
    })
    report = review([str(root)], Config(), root=str(root), jobs=1)
    assert [(f.rule, f.path, f.line) for f in report.findings] == [("py.header-injection", "web/handler.py", 7)]


def test_project_modules_answer_the_same_from_memory(monkeypatch):
    """`ProjectModules.contains` remembers its answers, up to a bound, and
    forgets them when pickled (for a worker): the answers never change."""
    import importlib
    import pickle

    extract = importlib.import_module("secreview.taint.extract")  # the package exports a function of that name

    paths = ["app.db.find", "app.db.find()", "app.Store().get", "http.server.run", "db.find",
             "tools.app.db.find", "other.app.db.find", "app", "apps.db", ""]
    fresh = extract.ProjectModules(["app", "app.db"], {"tools"})
    expected = [fresh._contains(path) for path in paths]
    assert expected == [True, True, True, False, False, True, False, True, False, False]
    monkeypatch.setattr(extract, "_MAX_KNOWN", 3)
    remembering = extract.ProjectModules(["app", "app.db"], {"tools"})
    for _ in range(2):
        assert [remembering.contains(path) for path in paths] == expected
        assert len(remembering._known) <= 3
    assert pickle.loads(pickle.dumps(remembering))._known == {}
