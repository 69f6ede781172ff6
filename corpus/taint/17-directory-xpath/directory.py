"""Staff directory backed by the HR system's XML export."""

import os

from flask import Flask, render_template, request
from lxml import etree

app = Flask(__name__)
STAFF = etree.parse(os.path.join(os.path.dirname(__file__), "staff.xml"))  # safe: py.xxe


@app.route("/directory/lookup")
def lookup():
    """E-mail addresses of a colleague, by login name."""
    username = request.args.get("user", "")
    emails = STAFF.xpath(f"//person[@login='{username}']/email/text()")  # expect: py.xpath-injection
    return render_template("lookup.html", username=username, emails=emails)  # safe: py.xss
