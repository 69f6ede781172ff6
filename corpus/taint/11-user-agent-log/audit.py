"""Request audit trail for the billing API."""

import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger("billing.audit")


@app.before_request
def audit_request():
    agent = request.headers.get("User-Agent", "-")
    logger.info(f"{request.method} {request.path} agent={agent}")  # expect: py.log-injection


@app.route("/invoices")
def invoices():
    return {"invoices": []}
