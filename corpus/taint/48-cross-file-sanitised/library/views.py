"""Catalogue views: ids are converted, text is bound as a parameter."""

from flask import Blueprint, abort, render_template, request

from library import queries
from library.db import query

bp = Blueprint("books", __name__)


@bp.route("/books/<book_id>")
def book(book_id):
    if not book_id.isdigit():
        abort(404)
    rows = query(queries.book_by_id(int(book_id)))
    return render_template("book.html", book=rows[0] if rows else None)  # safe: py.xss


@bp.route("/books")
def search():
    sql, params = queries.books_by_title(request.args.get("title", ""))
    return render_template("books.html", books=query(sql, params))  # safe: py.xss
