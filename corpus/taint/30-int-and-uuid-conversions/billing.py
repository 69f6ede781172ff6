"""Invoices and exports of the billing portal."""

import os
import sqlite3
import uuid

from flask import Flask, abort, render_template, request, send_file

app = Flask(__name__)
DATABASE = "/var/lib/billing/billing.db"
EXPORT_DIR = "/srv/billing/exports"


@app.route("/invoices/<invoice_id>")
def invoice(invoice_id):
    db = sqlite3.connect(DATABASE)
    row = db.execute(f"SELECT id, customer, total FROM invoices WHERE id = {int(invoice_id)}").fetchone()  # safe: py.sql-injection
    if row is None:
        abort(404)
    return render_template("invoice.html", invoice=row)  # safe: py.xss


@app.route("/invoices")
def recent_invoices():
    limit = int(request.args.get("limit", "50"))
    db = sqlite3.connect(DATABASE)
    rows = db.execute("SELECT id, customer, total FROM invoices ORDER BY id DESC LIMIT %d" % limit).fetchall()  # safe: py.sql-injection
    return render_template("invoices.html", invoices=rows)  # safe: py.xss


@app.route("/exports/<token>")
def download_export(token):
    try:
        export_id = uuid.UUID(token)
    except ValueError:
        abort(404)
    return send_file(os.path.join(EXPORT_DIR, f"{export_id}.zip"))  # safe: py.path-traversal
