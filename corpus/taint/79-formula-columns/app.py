"""Spreadsheet-like report builder: users add computed columns."""

from flask import Flask, request

from formulas import FormulaColumn, parse_threshold

app = Flask(__name__)
ROWS = [
    {"region": "north", "revenue": 1200.0, "cost": 800.0},
    {"region": "south", "revenue": 950.0, "cost": 700.0},
]


@app.route("/reports/columns", methods=["POST"])
def add_column():
    column = FormulaColumn(request.form["name"], request.form["formula"])
    return {"name": column.name, "values": [column.value(row) for row in ROWS]}


@app.route("/reports/filter", methods=["POST"])
def filter_rows():
    low, high = parse_threshold(request.form.get("range", "(0, 1000)"))
    margin = FormulaColumn("margin", "revenue - cost")
    return {"rows": [row for row in ROWS if low <= margin.value(row) <= high]}
