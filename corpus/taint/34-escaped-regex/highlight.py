"""Search-term highlighting for the documentation site."""

import re

from flask import Flask, render_template, request

app = Flask(__name__)
DOCS = "/srv/docs/handbook.txt"


@app.route("/docs/find")
def find():
    term = request.args.get("term", "")
    word = re.compile(r"\b" + re.escape(term) + r"\b", re.IGNORECASE)  # safe: py.regex-injection
    with open(DOCS, encoding="utf-8") as fh:  # safe: py.path-traversal
        lines = [line for line in fh if word.search(line)]
    return render_template("find.html", term=term, lines=lines[:100])  # safe: py.xss


@app.route("/docs/count")
def count():
    term = request.args.get("term", "")
    text = open(DOCS, encoding="utf-8").read()  # safe: py.path-traversal
    return {"count": len(re.findall(re.escape(term), text))}  # safe: py.regex-injection
