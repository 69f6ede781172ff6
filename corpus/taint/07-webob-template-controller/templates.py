"""Template catalogue API of the orchestration service (WSGI, WebOb)."""

import os

import webob.exc

TEMPLATE_DIR = "/etc/orchestra/templates"


class TemplatesController(object):
    """Serves the stack templates shipped with the service."""

    def __init__(self, template_dir=TEMPLATE_DIR):
        self.template_dir = template_dir

    def index(self, req):
        names = sorted(n for n in os.listdir(self.template_dir) if n.endswith(".yaml"))  # safe: py.path-traversal
        return {"templates": names}

    def show(self, req):
        name = req.params.get("name")
        if not name:
            raise webob.exc.HTTPBadRequest(explanation="name is required")
        path = os.path.join(self.template_dir, name)
        with open(path) as template:  # expect: py.path-traversal
            body = template.read()
        return {"template": {"name": name, "body": body}}


def create_resource():
    return TemplatesController()
