"""Feedback form of the help centre."""

import logging
import os

from flask import Flask, request

app = Flask(__name__)
log = logging.getLogger("helpcentre.feedback")


def tidy(value):
    """Trim surrounding whitespace (used for form fields and commands alike)."""
    return value.strip()


@app.route("/feedback", methods=["POST"])
def feedback():
    subject = tidy(request.form.get("subject", ""))
    log.warning(f"feedback received: {subject}")  # expect: py.log-injection
    return {"thanks": True}


def rotate_feedback_logs():
    """Called nightly by the scheduler."""
    os.system(tidy("  logrotate -f /etc/logrotate.d/helpcentre  "))  # safe: py.shell-injection
