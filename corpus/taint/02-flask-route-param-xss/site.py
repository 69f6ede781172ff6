"""Public pages of the community site."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/hello/<name>")
def hello(name):
    return f"<h1>Hello, {name}!</h1>"  # expect: py.xss


@app.route("/tags/<path:tags>")
def tag_list(tags):
    """Render the tags of a post as a list: /tags/python/security/web."""
    items = "".join("<li>%s</li>" % tag for tag in tags.split("/"))
    return "<ul class='tags'>" + items + "</ul>"  # expect: py.xss


@app.route("/search")
def search():
    query = request.args.get("q", "")
    page = "<html><body><p>No results for <b>{}</b>.</p></body></html>"
    return page.format(query)  # expect: py.xss


@app.route("/about")
def about():
    return "<h1>About us</h1><p>We have been building things since 2009.</p>"
