"""Document conversion service."""

import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/convert", methods=["POST"])
def convert():
    fmt = request.form.get("format", "pdf")
    # Only PDF output is supported since the LibreOffice upgrade.
    fmt = "pdf"
    subprocess.run(f"soffice --headless --convert-to {fmt} --outdir /srv/out /srv/in/current.docx", shell=True, check=True)  # safe: py.shell-injection
    return {"format": fmt}


@app.route("/compress", methods=["POST"])
def compress():
    level = request.form.get("level", "fast")
    if level == "best":
        level = "9"
    else:
        level = "1"
    os.system("gzip -k -" + level + " /srv/out/current.pdf")  # safe: py.shell-injection
    return {"level": level}
