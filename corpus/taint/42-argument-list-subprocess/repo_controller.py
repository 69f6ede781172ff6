"""Repository browser controller (WebOb) of the build farm."""

import subprocess

import webob.exc

REPO_ROOT = "/srv/repos"


class RepositoryController(object):
    def listing(self, req):
        user_dir = req.params.get("dir", ".")
        out = subprocess.run(["ls", "-l", user_dir], cwd=REPO_ROOT, capture_output=True, text=True, check=False)  # safe: py.shell-injection
        return {"entries": out.stdout.splitlines()}

    def history(self, req):
        path = req.params.get("path")
        if not path:
            raise webob.exc.HTTPBadRequest()
        log = subprocess.check_output(["git", "-C", REPO_ROOT, "log", "--format=%H %s", "--", path], text=True)  # safe: py.shell-injection
        return {"commits": log.splitlines()}

    def thumbnail(self, req):
        size = req.params.get("size", "64x64")
        src = req.params.get("image", "logo.png")
        proc = subprocess.Popen(["convert", src, "-resize", size, "png:-"], cwd=REPO_ROOT, stdout=subprocess.PIPE)  # safe: py.shell-injection
        data, _ = proc.communicate()
        return {"bytes": len(data)}
