"""Preview endpoints for the support team."""

from flask import Blueprint, render_template_string, request

from mailer import render

bp = Blueprint("mailer", __name__, url_prefix="/mail")
FOOTER = "<footer>Sent to {{ email }} by Example Shop</footer>"


@bp.post("/preview")
def preview():
    form = request.form
    return {
        "subject": render.subject(form["order_id"]),
        "greeting": render.greeting(form.get("language", "en"), form["name"]),
        "body": render.body("receipt", name=form["name"], order_id=form["order_id"]),
    }


@bp.get("/footer")
def footer():
    return render_template_string(FOOTER, email=request.args.get("email", ""))  # safe: py.template-injection, py.xss
