"""Personal notes and avatars of the wiki."""

import os

from flask import Flask, request, send_file
from werkzeug.utils import secure_filename

app = Flask(__name__)
AVATAR_DIR = "/srv/wiki/avatars"
NOTES_DIR = "/srv/wiki/notes"


@app.route("/avatars/<username>")
def avatar(username):
    return send_file(os.path.join(AVATAR_DIR, secure_filename(username) + ".png"))  # safe: py.path-traversal


@app.route("/notes", methods=["POST"])
def save_note():
    name = os.path.basename(request.form["title"]) + ".md"
    with open(os.path.join(NOTES_DIR, name), "w", encoding="utf-8") as fh:  # safe: py.path-traversal
        fh.write(request.form["text"])
    return {"saved": True}, 201
