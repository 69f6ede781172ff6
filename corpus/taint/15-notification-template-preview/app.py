"""Admin tool to preview notification e-mails before they go out."""

from datetime import date

from flask import Flask, g, render_template_string, request

from mailer import send_mail

app = Flask(__name__)
ADMIN_EMAIL = "ops@example.com"


@app.route("/admin/notifications/preview", methods=["POST"])
def preview_notification():
    """Render the draft the admin typed and mail it to the admin mailbox."""
    template_source = request.form["body"]
    body = render_template_string(template_source, user=g.get("user_name", "admin"), today=date.today())  # expect: py.template-injection
    send_mail(ADMIN_EMAIL, "Notification preview", body)
    return {"queued": True}
