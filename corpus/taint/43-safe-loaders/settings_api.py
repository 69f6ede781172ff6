"""Settings import and a constant-expression field for the admin panel."""

import ast
import json

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route("/admin/settings/import", methods=["POST"])
def import_settings():
    data = request.form["settings"]
    settings = yaml.load(data, Loader=yaml.SafeLoader)  # safe: py.unsafe-deserialization
    return {"keys": len(settings or {})}


@app.route("/admin/settings/import-many", methods=["POST"])
def import_many():
    documents = list(yaml.safe_load_all(request.form["settings"]))  # safe: py.unsafe-deserialization
    return {"documents": len(documents)}


@app.route("/admin/settings/json", methods=["POST"])
def import_json():
    settings = json.loads(request.form["settings"])  # safe: py.unsafe-deserialization
    return {"keys": len(settings)}


@app.route("/admin/settings/limit", methods=["POST"])
def set_limit():
    """Limits may be typed as Python literals: 1024, (10, 60), [1, 2]."""
    limit = ast.literal_eval(request.form.get("limit", "0"))  # safe: py.code-eval
    return {"type": type(limit).__name__}
