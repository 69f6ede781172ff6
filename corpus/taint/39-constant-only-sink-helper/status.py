"""Status page of the build server."""

import subprocess

from flask import Flask, render_template, request

app = Flask(__name__)
VISITS = []


def run_admin(command):
    """Run one of the fixed maintenance commands below and return its output."""
    return subprocess.check_output(command, shell=True, text=True)  # safe: py.shell-injection


def disk_report():
    return run_admin("df -h /srv | tail -n +2")


def load_average():
    return run_admin("uptime | awk -F'load average:' '{print $2}'")


def record_visit(referrer):
    VISITS.append(referrer)
    del VISITS[:-1000]


@app.route("/status")
def status():
    record_visit(request.args.get("from", "-"))
    return render_template("status.html", disk=disk_report(), load=load_average())
