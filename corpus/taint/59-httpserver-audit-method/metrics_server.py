"""Metrics endpoint of the edge cache, served by the standard library."""

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from counters import snapshot

log = logging.getLogger("edgecache.metrics")


class MetricsHandler(BaseHTTPRequestHandler):
    def _audit(self, message):
        log.info("metrics: " + message)  # expect: py.log-injection

    def _send_json(self, payload, zone):
        body = json.dumps(payload).encode()
        self.send_response(200)  # safe: py.header-injection
        self.send_header("Content-Type", "application/json")  # safe: py.header-injection
        self.send_header("Content-Length", str(len(body)))  # safe: py.header-injection
        self.send_header("X-Zone", quote(zone))  # safe: py.header-injection
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        caller = self.headers.get("X-Caller", "unknown")
        self._audit(f"scrape by {caller}")
        zone = query.get("zone", ["default"])[0]
        log.info("metrics: zone " + json.dumps(zone))  # safe: py.log-injection
        self._send_json(snapshot(zone), zone)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 9102), MetricsHandler).serve_forever()
