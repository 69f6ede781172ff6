"""Outgoing mail through the local relay."""

import smtplib
from email.message import EmailMessage

SENDER = "noreply@example.com"


def send_mail(to, subject, body):
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP("localhost") as relay:
        relay.send_message(msg)
