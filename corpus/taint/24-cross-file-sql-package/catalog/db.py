"""Database access for the catalogue."""

import sqlite3

DATABASE = "/var/lib/catalog/catalog.db"


def run(sql):
    """Run one query and return every row."""
    conn = sqlite3.connect(DATABASE)
    try:
        return conn.execute(sql).fetchall()  # expect: py.sql-injection
    finally:
        conn.close()
