"""Article archive of the newsroom site."""

import sqlite3

from flask import Flask, render_template, request

from paging import Paginator, search_clause

app = Flask(__name__)
DATABASE = "/var/lib/newsroom/articles.db"


def parse_page(raw):
    return max(int(raw), 1)


def page_from(args):
    return parse_page(args.get("page", "1"))


@app.route("/archive")
def archive():
    pager = Paginator(page_from(request.args), request.args.get("per_page", "20"))
    pager.set_order(request.args.get("order", "newest"))
    where, params = search_clause(request.args.get("q", ""))
    conn = sqlite3.connect(DATABASE)
    rows = conn.execute(pager.sql("SELECT id, title, published FROM articles" + where), params).fetchall()  # safe: py.sql-injection
    return render_template("archive.html", rows=rows, page=pager.page)  # safe: py.xss
