"""Bulk catalogue import from the supplier's XML feed."""

import sqlite3

from flask import Flask, request
from lxml import etree

app = Flask(__name__)
DATABASE = "/var/lib/shop/catalog.db"


@app.route("/admin/catalog/import", methods=["POST"])
def import_catalog():
    xml = request.form["catalog"]
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True)
    root = etree.fromstring(xml.encode("utf-8"), parser=parser)  # expect: py.xxe
    db = sqlite3.connect(DATABASE)
    imported = 0
    with db:
        for item in root.iter("item"):
            db.execute(  # safe: py.sql-injection
                "INSERT OR REPLACE INTO products (sku, name, price) VALUES (?, ?, ?)",
                (item.get("sku"), item.findtext("name"), item.findtext("price")),
            )
            imported += 1
    db.close()
    return {"imported": imported}
