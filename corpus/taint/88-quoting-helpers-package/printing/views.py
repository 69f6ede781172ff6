"""Print portal endpoints."""

from flask import Blueprint, request

from printing import jobs

bp = Blueprint("printing", __name__)
OPTION_NAMES = ("media", "sides", "orientation-requested")


@bp.post("/print")
def print_file():
    form = request.form
    options = {name: form[name] for name in OPTION_NAMES if name in form}
    out = jobs.submit(form["printer"], form["file"], form.get("copies", "1"), options)
    return {"queued": out.strip()}


@bp.post("/print/<job_id>/cancel")
def cancel(job_id):
    return {"status": jobs.cancel(job_id)}
