"""Database access for the library catalogue."""

import sqlite3

DATABASE = "/var/lib/library/books.db"


def query(sql, params=()):
    conn = sqlite3.connect(DATABASE)
    try:
        return conn.execute(sql, params).fetchall()  # safe: py.sql-injection
    finally:
        conn.close()
