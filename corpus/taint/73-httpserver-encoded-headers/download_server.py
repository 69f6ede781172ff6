"""Download endpoint of the build artefact mirror (standard library server)."""

import json
import logging
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, quote, urlsplit

ARTEFACTS = "/srv/artefacts"
log = logging.getLogger("mirror")


class DownloadHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        name = os.path.basename(query.get("file", [""])[0])
        build = int(query.get("build", ["0"])[0])
        path = os.path.join(ARTEFACTS, str(build), name)
        if not name or not os.path.isfile(path):
            self.send_error(404)  # safe: py.header-injection
            return
        log.warning("download " + json.dumps({"file": name, "agent": self.headers.get("User-Agent")}))  # safe: py.log-injection
        with open(path, "rb") as fh:  # safe: py.path-traversal
            body = fh.read()
        self.send_response(200)  # safe: py.header-injection
        self.send_header("Content-Type", "application/octet-stream")  # safe: py.header-injection
        self.send_header("Content-Disposition", "attachment; filename*=UTF-8''" + quote(name))  # safe: py.header-injection
        self.send_header("X-Build", str(build))  # safe: py.header-injection
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8090), DownloadHandler).serve_forever()
