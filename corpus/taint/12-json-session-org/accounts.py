"""Account settings API of the team workspace."""

import os
import time

from flask import Flask, session, request

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]


@app.route("/api/switch-org", methods=["POST"])
def switch_org():
    """Make another organisation the active one for this browser session."""
    payload = request.get_json()
    org = payload["org_id"]
    session["org_id"] = org  # expect: py.trust-boundary
    session["switched_at"] = time.time()
    return {"status": "ok"}
