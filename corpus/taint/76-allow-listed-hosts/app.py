"""Mirror status page: checks the mirrors we operate, nothing else."""

from flask import Flask, abort, request

import probe

app = Flask(__name__)
MIRRORS = ("eu.mirror.example.org", "us.mirror.example.org", "ap.mirror.example.org")
SCHEMES = {"http", "https"}


@app.route("/mirrors/check")
def check_mirror():
    host = request.args.get("host", "")
    if host not in MIRRORS:
        abort(400)
    return {"host": host, "latency_ms": probe.latency(f"https://{host}/health")}


@app.route("/mirrors/fetch")
def fetch_index():
    host = request.args.get("host", "")
    scheme = request.args.get("scheme", "https")
    if scheme not in SCHEMES or host not in MIRRORS:
        abort(400)
    return {"size": probe.index_size(scheme, host)}
