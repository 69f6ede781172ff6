"""Order history pages of the customer account."""

import sqlite3

from flask import Flask, g, render_template, request

app = Flask(__name__)
DATABASE = "/var/lib/shop/orders.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


def requested_sort():
    """The column the client asked to sort by."""
    return request.args.get("sort", "created_at")


def requested_page_size():
    return min(int(request.args.get("size", "20")), 100)


@app.route("/orders")
def list_orders():
    column = requested_sort()
    size = requested_page_size()
    db = get_db()
    orders = db.execute(f"SELECT id, total, created_at FROM orders ORDER BY {column} LIMIT {size}").fetchall()  # expect: py.sql-injection
    return render_template("orders.html", orders=orders)  # safe: py.xss
