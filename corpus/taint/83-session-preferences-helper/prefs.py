"""What the session remembers about the visitor."""

import time

from flask import session

CURRENCIES = ("EUR", "USD", "GBP")
THEMES = ("light", "dark")


def remember(key, value):
    session["pref_" + key] = value  # safe: py.trust-boundary
    session["pref_saved_at"] = int(time.time())  # safe: py.trust-boundary


def set_currency(code):
    if code not in CURRENCIES:
        raise ValueError("unsupported currency")
    remember("currency", code)


def act_as(customer_id):
    session["acting_as"] = customer_id  # expect: py.trust-boundary


def set_theme(theme):
    if theme not in THEMES:
        theme = "light"
    session["theme"] = theme  # safe: py.trust-boundary
