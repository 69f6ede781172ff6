"""HTML fragments: every value from the query is escaped where it is inserted."""

import html
import os

from markupsafe import escape


def price_tag(name, price):
    return f'<div class="price"><span>{html.escape(name)}</span> <b>{escape(price)}</b></div>'


def stars(count):
    count = max(0, min(count, 5))
    return '<span class="stars">' + "&#9733;" * count + "&#9734;" * (5 - count) + "</span>"


def swatch_path(folder, colour):
    return os.path.join(folder, os.path.basename(colour) + ".png")
