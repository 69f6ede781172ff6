"""Lookup service: rows of bound queries and command exit statuses go back to
the client; only the query built by string formatting is a defect."""

import sqlite3
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args["name"]
    db = sqlite3.connect("app.db")
    rows = db.execute("SELECT id, email FROM users WHERE name = ?", (name,)).fetchall()
    return "<ul>" + "".join(f"<li>{row[0]}</li>" for row in rows) + "</ul>"  # safe: py.xss


@app.route("/count")
def count():
    team = request.args["team"]
    cur = sqlite3.connect("app.db").cursor()
    cur.execute("SELECT count(*) FROM users WHERE team = '%s'" % team)  # expect: py.sql-injection
    return f"<p>{cur.fetchone()[0]} members</p>"  # safe: py.xss


@app.route("/ping")
def ping():
    host = request.args["host"]
    done = subprocess.run(["ping", "-c", "1", host], check=False)  # safe: py.shell-injection
    return f"<p>exit status {done.returncode}</p>"  # safe: py.xss


@app.route("/echo")
def echo():
    word = request.args["word"]
    done = subprocess.run(["echo", word], capture_output=True, text=True, check=False)
    return f"<pre>{done.stdout}</pre>"  # expect: py.xss
