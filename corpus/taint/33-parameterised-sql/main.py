"""Inventory API (FastAPI) with queries that bind every value."""

import sqlite3

from fastapi import FastAPI, HTTPException

app = FastAPI()
DATABASE = "/var/lib/inventory/stock.db"


def connect():
    return sqlite3.connect(DATABASE)


@app.get("/items/{item_id}")
def read_item(item_id: str):
    conn = connect()
    cur = conn.cursor()
    cur.execute("SELECT id, name, qty FROM items WHERE id = ?", (item_id,))  # safe: py.sql-injection
    row = cur.fetchone()
    if row is None:
        raise HTTPException(status_code=404)
    return {"id": row[0], "name": row[1], "qty": row[2]}


@app.get("/items")
def search_items(q: str = "", warehouse: str = "main"):
    conn = connect()
    rows = conn.execute(  # safe: py.sql-injection
        "SELECT id, name FROM items WHERE name LIKE :pattern AND warehouse = :warehouse",
        {"pattern": f"%{q}%", "warehouse": warehouse},
    ).fetchall()
    return {"items": [{"id": r[0], "name": r[1]} for r in rows]}


@app.post("/items/restock")
def restock(sku: str, qty: int):
    conn = connect()
    with conn:
        conn.executemany("UPDATE items SET qty = qty + ? WHERE sku = ?", [(qty, sku)])  # safe: py.sql-injection
    return {"restocked": sku}
