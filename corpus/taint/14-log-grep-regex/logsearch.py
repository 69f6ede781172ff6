"""Admin page to search the application log."""

import re

from flask import Flask, render_template, request

app = Flask(__name__)
LOG_FILE = "/var/log/webshop/app.log"


@app.route("/admin/logs/search")
def search_logs():
    pattern = request.args.get("pattern", "")
    with open(LOG_FILE, encoding="utf-8") as fh:
        hits = [line.rstrip() for line in fh if re.search(pattern, line)]  # expect: py.regex-injection
    return render_template("log_hits.html", pattern=pattern, hits=hits[-200:])  # safe: py.xss
