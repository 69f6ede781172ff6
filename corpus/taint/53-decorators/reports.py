"""Sales reports behind login, with caching and retries."""

import functools
import sqlite3
import subprocess
import time

from flask import Flask, redirect, render_template, request, session, url_for

app = Flask(__name__)
DATABASE = "/var/lib/sales/sales.db"


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if "user_id" not in session:
            return redirect(url_for("login"))  # safe: py.open-redirect
        return view(*args, **kwargs)

    return wrapper


def retry(times=3, delay=0.5):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return func(*args, **kwargs)
                except subprocess.CalledProcessError:
                    if attempt == times - 1:
                        raise
                    time.sleep(delay)

        return wrapper

    return decorate


class timed:
    """Records how long the wrapped call took."""

    def __init__(self, func):
        functools.update_wrapper(self, func)
        self.func = func
        self.last = 0.0

    def __call__(self, *args, **kwargs):
        start = time.monotonic()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.last = time.monotonic() - start


@functools.lru_cache(maxsize=64)
def totals_for(year, region):
    conn = sqlite3.connect(DATABASE)
    try:
        return conn.execute(  # safe: py.sql-injection
            "SELECT month, SUM(amount) FROM sales WHERE year = ? AND region = ? GROUP BY month",
            (year, region),
        ).fetchall()
    finally:
        conn.close()


@retry(times=3)
def refresh_cache():
    subprocess.run(["systemctl", "reload", "varnish"], check=True)  # safe: py.shell-injection


@timed
def render_totals(year, region):
    return render_template("totals.html", year=year, region=region, rows=totals_for(year, region))


@app.route("/reports/<int:year>")
@login_required
def report(year):
    return render_totals(year, request.args.get("region", "all"))  # safe: py.xss


@app.route("/reports/refresh", methods=["POST"])
@login_required
def refresh():
    refresh_cache()
    return {"refreshed": True}


@app.route("/login")
def login():
    return render_template("login.html")
