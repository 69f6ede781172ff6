"""Uptime checks triggered from the status page."""

import os

from flask import Flask, request

app = Flask(__name__)


def ping_host(host, count=3):
    """Ping `host`; True when it answered."""
    return os.system(f"ping -c {count} -W 1 {host} > /dev/null") == 0  # expect: py.shell-injection


def self_check():
    return ping_host("127.0.0.1", count=1)


@app.route("/api/ping", methods=["POST"])
def api_ping():
    target = request.form["target"]
    if ping_host(target):
        return {"status": "up"}
    return {"status": "down"}, 503
