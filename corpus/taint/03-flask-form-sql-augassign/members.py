"""Member directory of the club's intranet."""

import sqlite3

from flask import Flask, g, render_template, request

app = Flask(__name__)
DATABASE = "/var/lib/club/members.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.route("/members/search", methods=["POST"])
def search_members():
    """Filter members by name and, optionally, by city."""
    name = request.form.get("name", "")
    city = request.form.get("city")
    sql = "SELECT id, name, city FROM members WHERE active = 1"
    sql += " AND name LIKE '%" + name + "%'"
    if city:
        sql += f" AND city = '{city}'"
    sql += " ORDER BY name"
    cur = get_db().cursor()
    cur.execute(sql)  # expect: py.sql-injection
    members = cur.fetchall()
    return render_template("members.html", members=members)  # safe: py.xss
