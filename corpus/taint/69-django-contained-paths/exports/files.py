"""Where the report exports are kept, and how a requested name is resolved."""

import os

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename

EXPORT_ROOT = os.path.realpath(os.path.join(settings.MEDIA_ROOT, "exports"))


def resolve(relative):
    """The absolute path of `relative` inside the export folder, or an error."""
    full = os.path.realpath(os.path.join(EXPORT_ROOT, relative))
    if not full.startswith(EXPORT_ROOT + os.sep):
        raise SuspiciousFileOperation(relative)
    return full


def read_export(relative):
    full = os.path.realpath(os.path.join(EXPORT_ROOT, relative))
    if os.path.commonpath([EXPORT_ROOT, full]) != EXPORT_ROOT:
        return None
    with open(full, "rb") as fh:  # safe: py.path-traversal
        return fh.read()


def export_lines(relative):
    with open(resolve(relative), encoding="utf-8") as fh:  # safe: py.path-traversal
        return sum(1 for _ in fh)


def delete_export(name):
    os.remove(os.path.join(EXPORT_ROOT, get_valid_filename(name)))  # safe: py.path-traversal


def rename_export(old, new):
    os.rename(  # safe: py.path-traversal
        os.path.join(EXPORT_ROOT, get_valid_filename(old)),
        os.path.join(EXPORT_ROOT, get_valid_filename(new)),
    )
