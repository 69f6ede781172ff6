"""Thin client for the partner search API; filters come from our users."""

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
API_ROOT = "https://partner.example.com/api/v2"
ALLOWED_FILTERS = {"q", "brand", "colour", "size", "max_price"}


def _request(method, endpoint, **kwargs):
    kwargs.setdefault("timeout", 10)
    return requests.request(method, f"{API_ROOT}/{endpoint.lstrip('/')}", **kwargs)  # safe: py.ssrf


def api_get(endpoint, **params):
    return _request("GET", endpoint, params=params)


def search_products(**filters):
    return api_get("products", **filters).json()


@app.route("/partner/products")
def products():
    filters = {key: value for key, value in request.args.items() if key in ALLOWED_FILTERS}
    data = search_products(**filters)
    return jsonify(products=data.get("items", []))  # safe: py.xss
