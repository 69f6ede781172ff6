"""Customer accounts."""

import hashlib
import hmac
import sqlite3

DATABASE = "/var/lib/dashboard/accounts.db"


def check_credentials(username, password):
    conn = sqlite3.connect(DATABASE)
    try:
        row = conn.execute("SELECT salt, pw_hash FROM accounts WHERE username = ?", (username,)).fetchone()  # safe: py.sql-injection
    finally:
        conn.close()
    if row is None:
        return False
    salt, expected = row
    actual = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 600_000).hex()
    return hmac.compare_digest(actual, expected)
