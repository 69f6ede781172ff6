"""Commit history browser for the internal code mirror."""

import shlex
import subprocess

from flask import Flask, render_template, request

app = Flask(__name__)
REPO = "/srv/mirror/platform.git"


@app.route("/history")
def history():
    author = request.args.get("author", "")
    out = subprocess.check_output(  # safe: py.shell-injection
        "git -C " + REPO + " log --oneline -n 50 --author=" + shlex.quote(author),
        shell=True,
        text=True,
    )
    return render_template("history.html", commits=out.splitlines())  # safe: py.xss


@app.route("/history/grep")
def grep_history():
    term = request.args.get("term", "")
    command = shlex.join(["git", "-C", REPO, "log", "--oneline", "--grep", term])
    out = subprocess.check_output(command + " | head -n 50", shell=True, text=True)  # safe: py.shell-injection
    return render_template("history.html", commits=out.splitlines())  # safe: py.xss
