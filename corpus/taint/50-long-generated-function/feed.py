"""Supplier feed intake: normalise each record and store it."""

import sqlite3

from flask import Flask, request

from normaliser import normalise_record

app = Flask(__name__)
DATABASE = "/var/lib/feed/products.db"
COLUMNS = ("sku", "name", "brand", "colour", "size", "category", "supplier", "barcode")


@app.route("/feed/records", methods=["POST"])
def ingest():
    records = request.get_json() or []
    conn = sqlite3.connect(DATABASE)
    stored = 0
    with conn:
        for raw in records:
            record = normalise_record(raw)
            conn.execute(  # safe: py.sql-injection
                "INSERT OR REPLACE INTO products (sku, name, brand, colour, size, category, supplier, barcode) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                tuple(record[column] for column in COLUMNS),
            )
            stored += 1
    conn.close()
    return {"stored": stored}
