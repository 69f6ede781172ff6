"""Product catalogue blueprint."""

from flask import Flask


def create_app():
    from .views import bp

    app = Flask(__name__)
    app.register_blueprint(bp)
    return app
