"""Storefront preferences kept in the signed session cookie."""

from flask import Flask, request

import prefs

app = Flask(__name__)
app.config.from_envvar("STOREFRONT_SETTINGS")


@app.route("/prefs/currency", methods=["POST"])
def set_currency():
    try:
        prefs.set_currency(request.form.get("currency", "EUR"))
    except ValueError:
        return {"ok": False}, 400
    return {"ok": True}


@app.route("/prefs/impersonate", methods=["POST"])
def impersonate():
    """Support tool: act as a customer (the form says who)."""
    prefs.act_as(request.form["customer_id"])
    return {"ok": True}


@app.route("/prefs/theme", methods=["POST"])
def set_theme():
    prefs.set_theme(request.form.get("theme", "light"))
    return {"ok": True}
