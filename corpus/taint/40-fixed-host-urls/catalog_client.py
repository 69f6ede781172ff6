"""Proxy to the partner catalogue API: the host is ours, only the path varies."""

from urllib.parse import quote
from urllib.request import urlopen

import requests
from flask import Flask, request

app = Flask(__name__)
API = "https://api.example.com"


@app.route("/partner/items/<item_id>")
def item(item_id):
    resp = requests.get(f"https://api.example.com/items/{item_id}", timeout=5)  # safe: py.ssrf
    return {"status": resp.status_code}


@app.route("/partner/search")
def search():
    q = request.args.get("q", "")
    resp = requests.get(f"{API}/search", params={"q": q}, timeout=5)  # safe: py.ssrf
    return {"hits": len(resp.json().get("items", []))}


@app.route("/partner/users/<username>")
def user(username):
    resp = requests.get(API + "/users/" + quote(username, safe=""), timeout=5)  # safe: py.ssrf
    return {"found": resp.ok}


@app.route("/partner/stock")
def stock():
    sku = request.args.get("sku", "")
    with urlopen("https://api.example.com/stock?sku=" + quote(sku), timeout=5) as resp:  # safe: py.ssrf
        level = resp.read()
    return {"level": len(level)}
