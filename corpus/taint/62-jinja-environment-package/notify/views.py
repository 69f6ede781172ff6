"""Preview endpoints: what the customer would receive."""

from flask import Blueprint, request

from notify.templating import render_named, render_source

bp = Blueprint("notify", __name__)
SHIPPED_SUBJECT = "Your order {{ order_id }} has shipped"


@bp.route("/notify/preview", methods=["POST"])
def preview():
    """Support staff may rephrase the subject line before sending."""
    subject = render_source(request.form.get("subject", SHIPPED_SUBJECT), order_id=request.form["order_id"])
    body = render_named("shipped.txt", customer=request.form["customer"], order_id=request.form["order_id"])
    return {"subject": subject, "body": body}


@bp.route("/notify/shipped-subject")
def shipped_subject():
    return {"subject": render_source(SHIPPED_SUBJECT, order_id=request.args.get("order_id", ""))}
