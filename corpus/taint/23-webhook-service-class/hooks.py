"""Outgoing webhooks: customers register a URL and we call it on events."""

import hashlib
import hmac
import json
import os

import requests
from flask import Flask, request

app = Flask(__name__)


class WebhookNotifier:
    """Delivers signed event payloads to one callback URL."""

    def __init__(self, callback_url, secret):
        self.callback_url = callback_url
        self.secret = secret

    def _sign(self, body):
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def _post(self, payload):
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Signature": self._sign(body)}
        return requests.post(self.callback_url, data=body, headers=headers, timeout=10)  # expect: py.ssrf

    def notify(self, event, data):
        return self._post({"event": event, "data": data})


@app.route("/hooks", methods=["POST"])
def register_hook():
    """Register a callback and send it a ping so the customer sees it work."""
    url = request.form["url"]
    notifier = WebhookNotifier(url, secret=os.environ["WEBHOOK_SECRET"])
    notifier.notify("ping", {})
    return {"registered": True}, 201
