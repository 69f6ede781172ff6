"""Serves the nightly CSV export to the finance spreadsheet."""

from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

EXPORT_FILE = "/srv/exports/nightly.csv"


def build_report():
    with open(EXPORT_FILE, "rb") as fh:
        return fh.read()


class ExportHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        filename = query.get("name", ["report.csv"])[0]
        body = build_report()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Disposition", f'attachment; filename="{filename}"')  # expect: py.header-injection
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8000), ExportHandler).serve_forever()
