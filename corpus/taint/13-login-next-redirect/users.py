"""Staff accounts."""

import sqlite3
from dataclasses import dataclass

DATABASE = "/var/lib/portal/users.db"


@dataclass
class User:
    id: int
    email: str
    password_hash: str


def find_user(email):
    conn = sqlite3.connect(DATABASE)
    try:
        row = conn.execute("SELECT id, email, password_hash FROM users WHERE email = ?", (email,)).fetchone()  # safe: py.sql-injection
    finally:
        conn.close()
    return User(*row) if row else None
