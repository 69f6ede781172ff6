"""Computed columns: a formula is evaluated once per row."""

import ast
import math

SAFE_FUNCTIONS = {"abs": abs, "round": round, "min": min, "max": max, "sqrt": math.sqrt}


class FormulaColumn:
    def __init__(self, name, expression):
        self.name = name
        self.expression = expression

    def value(self, row):
        namespace = dict(SAFE_FUNCTIONS, **row)
        return eval(self.expression, {"__builtins__": {}}, namespace)  # expect: py.code-eval


def parse_threshold(text):
    """A (low, high) pair typed as a Python literal."""
    low, high = ast.literal_eval(text)  # safe: py.code-eval
    return float(low), float(high)
