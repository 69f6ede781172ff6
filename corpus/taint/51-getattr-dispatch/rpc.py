"""A small JSON-RPC style endpoint: the method name picks a handler."""

from flask import Flask, abort, jsonify, request

app = Flask(__name__)


class Dispatcher:
    """Calls `handle_<action>` on itself."""

    def dispatch(self, action, params):
        handler = getattr(self, "handle_" + action, None)
        if handler is None or not callable(handler):
            abort(404)
        return handler(params)

    def handle_echo(self, params):
        return {"echo": params}

    def handle_count(self, params):
        return {"count": len(params)}

    def handle_sum(self, params):
        return {"sum": sum(float(v) for v in params.values())}


DISPATCHER = Dispatcher()


@app.route("/rpc/<action>", methods=["POST"])
def rpc(action):
    result = DISPATCHER.dispatch(action, request.get_json() or {})
    return jsonify(result)  # safe: py.xss


@app.route("/rpc-meta/<name>")
def meta(name):
    attribute = getattr(DISPATCHER, name.lower(), None)
    doc = getattr(attribute, "__doc__", None) or ""
    return jsonify(documented=bool(doc))
