"""Report rendering API of the analytics portal."""

from flask import Flask, request

from jobs import ReportJob

app = Flask(__name__)
SOURCE = "/srv/reports/source/weekly.md"


@app.route("/reports", methods=["POST"])
def create_report():
    job = ReportJob(request.form["name"])
    job.configure(request.form)
    job.prepare()
    status = job.render(SOURCE)
    job.archive()
    return {"status": status, "name": job.name}
