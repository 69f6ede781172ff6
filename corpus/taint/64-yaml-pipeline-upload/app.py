"""CI service: users upload pipeline definitions and runner settings."""

from flask import Flask, request

import loader

app = Flask(__name__)


@app.route("/pipelines", methods=["POST"])
def upload_pipeline():
    upload = request.files["pipeline"]
    pipeline = loader.parse_pipeline(upload.read().decode("utf-8"))
    return {"stages": len(pipeline.get("stages", []))}


@app.route("/runner-settings", methods=["POST"])
def upload_settings():
    settings = loader.parse_settings(request.get_data(as_text=True))
    return {"keys": sorted(settings)}
