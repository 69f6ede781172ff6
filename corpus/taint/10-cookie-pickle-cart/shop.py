"""Shopping cart kept in a cookie between visits."""

import base64
import pickle

from flask import Flask, make_response, render_template, request

app = Flask(__name__)


@app.route("/cart")
def view_cart():
    raw = request.cookies.get("cart")
    items = []
    if raw:
        items = pickle.loads(base64.b64decode(raw))  # expect: py.unsafe-deserialization
    return render_template("cart.html", items=items)  # safe: py.xss


@app.route("/cart/clear", methods=["POST"])
def clear_cart():
    resp = make_response("", 204)
    resp.delete_cookie("cart")
    return resp
