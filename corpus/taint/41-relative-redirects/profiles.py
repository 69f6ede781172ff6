"""Profile pages: every redirect stays on this site."""

from urllib.parse import quote

from flask import Flask, redirect, request, url_for

app = Flask(__name__)


@app.route("/me")
def me():
    name = request.cookies.get("username", "guest")
    return redirect(f"/profile/{name}")  # safe: py.open-redirect


@app.route("/u/<name>")
def short_profile(name):
    return redirect(url_for("profile", name=name))  # safe: py.open-redirect


@app.route("/profile/<name>")
def profile(name):
    return {"profile": name}


@app.route("/find")
def find():
    return redirect("/search?q=" + quote(request.args.get("q", "")))  # safe: py.open-redirect
