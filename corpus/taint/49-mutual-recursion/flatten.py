"""Flattens nested JSON settings into dotted keys for the config service."""

from flask import Flask, request

app = Flask(__name__)


def flatten(node, prefix, out):
    if isinstance(node, dict):
        _flatten_mapping(node, prefix, out)
    elif isinstance(node, list):
        _flatten_sequence(node, prefix, out)
    else:
        out[prefix] = node
    return out


def _flatten_mapping(mapping, prefix, out):
    for key, value in mapping.items():
        flatten(value, f"{prefix}.{key}" if prefix else str(key), out)


def _flatten_sequence(items, prefix, out):
    for index, value in enumerate(items):
        flatten(value, f"{prefix}[{index}]", out)


def depth_is_even(node):
    if isinstance(node, dict) and node:
        return depth_is_odd(next(iter(node.values())))
    return True


def depth_is_odd(node):
    if isinstance(node, dict) and node:
        return depth_is_even(next(iter(node.values())))
    return False


@app.route("/config/validate", methods=["POST"])
def validate():
    document = request.get_json()
    flat = flatten(document, "", {})
    balanced = depth_is_even(document)
    return {"keys": len(flat), "balanced": balanced is True}
