"""Network diagnostics endpoint for the operations dashboard."""

import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/diagnostics/ping")
def ping():
    """Ping a host from the application server and say whether it answered."""
    host = request.args.get("host", "localhost")
    count = request.args.get("count", "3")
    cmd = f"ping -c {count} -W 2 {host}"
    result = subprocess.run(cmd, shell=True, capture_output=True, text=True)  # expect: py.shell-injection
    if result.returncode != 0:
        return "unreachable", 502
    return "reachable"
