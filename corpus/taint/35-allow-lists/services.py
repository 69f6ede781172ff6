"""Service control panel for the on-call engineer."""

import os
import subprocess

from flask import Flask, abort, request

app = Flask(__name__)
ALLOWED_SERVICES = {"nginx", "redis-server", "postgresql"}
LOG_FORMATS = ("short", "json", "cat")


@app.route("/services/<name>/restart", methods=["POST"])
def restart(name):
    if name not in ALLOWED_SERVICES:
        abort(400)
    os.system(f"systemctl restart {name}")  # safe: py.shell-injection
    return {"restarted": name}


@app.route("/services/status")
def status():
    name = request.args.get("name", "")
    if name in ALLOWED_SERVICES:
        state = subprocess.check_output(f"systemctl is-active {name}; true", shell=True, text=True)  # safe: py.shell-injection
        return {"name": name, "state": state.strip()}
    return {"error": "unknown service"}, 404


@app.route("/services/<name>/journal")
def journal(name):
    fmt = request.args.get("format", "short")
    if fmt not in LOG_FORMATS or name not in ALLOWED_SERVICES:
        return {"error": "bad request"}, 400
    out = subprocess.check_output(f"journalctl -u {name} -o {fmt} -n 200", shell=True, text=True)  # safe: py.shell-injection
    return {"lines": out.splitlines()}
