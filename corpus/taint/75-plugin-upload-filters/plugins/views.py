"""Admin endpoints of the plugin manager."""

from flask import Blueprint, request

from plugins import installer

bp = Blueprint("plugins", __name__, url_prefix="/admin/plugins")


@bp.post("/")
def upload_plugin():
    bundle = request.files["bundle"]
    path = installer.install_bundle(bundle, request.form["name"])
    return {"installed": path}, 201


@bp.post("/themes")
def upload_theme():
    path = installer.install_theme(request.files["theme"].stream, request.form["name"])
    return {"installed": path}, 201


@bp.delete("/<name>")
def delete_plugin(name):
    installer.remove_plugin(name)
    return {"removed": name}
