"""Arithmetic for quotes, without evaluating user text as code."""

import ast
import operator
from decimal import Decimal

OPERATIONS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
ROUNDING = compile("round(value, 2)", "<rounding>", "eval")  # safe: py.code-eval


def parse_price(text):
    return Decimal(text)


def parse_literal(text):
    value = ast.literal_eval(text)  # safe: py.code-eval
    return value if isinstance(value, (int, float)) else 0


def total(quantity, unit, discount):
    value = eval(f"{int(quantity)} * {float(unit)} * (1 - {float(discount)} / 100)", {"__builtins__": {}})  # safe: py.code-eval
    return eval(ROUNDING, {"round": round}, {"value": value})  # safe: py.code-eval


def apply(name, a, b):
    operation = OPERATIONS.get(name)
    if operation is None:
        raise ValueError("unknown operation")
    return operation(a, b)
