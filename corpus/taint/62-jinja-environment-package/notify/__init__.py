"""Customer notifications: previews for the support team."""

from flask import Flask


def create_app():
    from notify.views import bp

    app = Flask(__name__)
    app.register_blueprint(bp)
    return app
