"""HTTP API of the document store."""

from flask import Flask, request

from docstore.storage import FileStore

app = Flask(__name__)
store = FileStore("/srv/documents")


@app.route("/documents", methods=["POST"])
def upload_document():
    name = request.form["name"]
    content = request.form["content"].encode("utf-8")
    size = store.save(name, content)
    return {"stored": True, "bytes": size}, 201
