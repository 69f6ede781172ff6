"""Thumbnail generation for the photo gallery (ImageMagick)."""

import subprocess

from flask import Flask, request

app = Flask(__name__)
GALLERY = "/srv/gallery"


@app.route("/thumbnails", methods=["POST"])
def make_thumbnail():
    photo = request.form["photo"]
    width, height = request.form.get("size", "128x128").split("x", 1)
    stem = photo.rsplit(".", 1)[0][:80].strip().lower()
    args = ["convert", f"{GALLERY}/{photo}"]
    args.append("-resize")
    args.append(width + "x" + height)
    args.extend(["-strip", f"{GALLERY}/thumbs/{stem}.jpg"])
    subprocess.run(" ".join(args), shell=True, check=True)  # expect: py.shell-injection
    return {"status": "created"}, 201


@app.route("/photos/caption", methods=["POST"])
def set_caption():
    settings = {"copyright": "Example Gallery", "target": f"{GALLERY}/current.jpg"}
    settings["caption"] = request.form.get("caption", "")
    subprocess.run(f"exiftool -overwrite_original -Copyright='{settings['copyright']}' {settings['target']}", shell=True, check=True)
    subprocess.run(f"exiftool -overwrite_original -Comment='{settings['caption']}' {settings['target']}", shell=True, check=True)  # expect: py.shell-injection
    return {"status": "updated"}
