"""Price calculator of the quoting tool."""

from flask import Flask, request

import calc

app = Flask(__name__)


@app.route("/quote", methods=["POST"])
def quote():
    quantity = int(request.form["quantity"])
    unit = calc.parse_price(request.form["unit_price"])
    discount = calc.parse_literal(request.form.get("discount", "0"))
    return {"total": calc.total(quantity, unit, discount)}


@app.route("/quote/apply", methods=["POST"])
def apply_operation():
    return {"result": calc.apply(request.form["op"], float(request.form["a"]), float(request.form["b"]))}
