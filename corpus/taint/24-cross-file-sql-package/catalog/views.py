"""Catalogue listing pages."""

from flask import Blueprint, render_template, request

from catalog.db import run
from .helpers import build_query

bp = Blueprint("catalog", __name__)


@bp.route("/products")
def products():
    category = request.args.get("category", "all")
    order = request.args.get("order", "name")
    rows = run(build_query(category, order))
    return render_template("products.html", products=rows)  # safe: py.xss
