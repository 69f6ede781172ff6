"""Document conversion for the reports module."""

import subprocess

from flask import Flask, request

app = Flask(__name__)
OUTPUT_DIR = "/srv/exports"


def _convert(source, fmt):
    """Run LibreOffice headless to convert `source` to `fmt`."""
    command = "soffice --headless --convert-to " + fmt + " --outdir " + OUTPUT_DIR + " " + source
    subprocess.check_call(command, shell=True)  # expect: py.shell-injection


def export_document(document, fmt="pdf"):
    source = f"/srv/documents/{document}.odt"
    _convert(source, fmt)
    return f"{OUTPUT_DIR}/{document}.{fmt}"


@app.route("/documents/export", methods=["POST"])
def export():
    export_document(request.form["document"], request.form.get("format", "pdf"))
    return {"status": "exported"}, 202
