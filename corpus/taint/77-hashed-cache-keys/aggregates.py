"""The aggregates themselves."""

import sqlite3

DATABASE = "/var/lib/sales/sales.db"
PERIODS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def compute(region, period):
    fmt = PERIODS.get(period, PERIODS["month"])
    conn = sqlite3.connect(DATABASE)
    try:
        return conn.execute(  # safe: py.sql-injection
            "SELECT strftime(?, sold_at) AS p, SUM(amount) FROM sales WHERE ? IN ('all', region) GROUP BY p",
            (fmt, region),
        ).fetchall()
    finally:
        conn.close()
