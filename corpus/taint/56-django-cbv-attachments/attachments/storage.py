"""Where ticket attachments live on disk."""

import os

from django.conf import settings
from django.utils.text import get_valid_filename


def _ticket_dir(ticket):
    return os.path.join(settings.MEDIA_ROOT, "tickets", str(int(ticket)))


def open_attachment(ticket, name):
    path = os.path.join(_ticket_dir(ticket), name)
    if not os.path.isfile(path):
        return None
    return open(path, "rb")  # expect: py.path-traversal


def open_thumbnail(name):
    safe_name = get_valid_filename(name)
    return open(os.path.join(settings.MEDIA_ROOT, "thumbnails", safe_name + ".png"), "rb")  # safe: py.path-traversal
