"""Blog admin: values are checked against a strict format before use."""

import re
import sqlite3
import subprocess

from flask import Flask, abort, render_template, request

app = Flask(__name__)
DATABASE = "/var/lib/blog/posts.db"


@app.route("/posts")
def posts():
    page = request.args.get("page", "0")
    if not page.isdigit():
        abort(400)
    db = sqlite3.connect(DATABASE)
    rows = db.execute(f"SELECT id, title FROM posts ORDER BY id DESC LIMIT 20 OFFSET {page}").fetchall()  # safe: py.sql-injection
    return render_template("posts.html", posts=rows)


@app.route("/posts/new", methods=["POST"])
def new_post():
    slug = request.form.get("slug", "")
    if re.fullmatch(r"[a-z0-9-]{1,64}", slug):  # safe: py.regex-injection
        subprocess.run(f"hugo new posts/{slug}.md", shell=True, cwd="/srv/blog", check=True)  # safe: py.shell-injection
        return {"created": slug}, 201
    return {"error": "slug must be lowercase letters, digits and dashes"}, 400
