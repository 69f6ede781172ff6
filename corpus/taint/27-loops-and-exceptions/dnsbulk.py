"""Bulk reverse lookups for the abuse desk."""

import subprocess

from flask import Flask, render_template, request

app = Flask(__name__)


@app.route("/abuse/lookup")
def bulk_lookup():
    """GET /abuse/lookup?addr=1.2.3.4:443&addr=5.6.7.8 -> reverse names."""
    results = {}
    for entry in request.args.getlist("addr"):
        try:
            address, _port = entry.split(":", 1)
        except ValueError:
            address = entry
        try:
            out = subprocess.check_output("host -W 2 " + address, shell=True, text=True)  # expect: py.shell-injection
        except subprocess.CalledProcessError:
            out = "no answer"
        results[address] = out.strip()
    return render_template("lookup.html", results=results)  # safe: py.xss
