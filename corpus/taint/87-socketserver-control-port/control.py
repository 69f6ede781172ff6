"""Line-based control port of the render farm agent (one command per line)."""

import json
import logging
import socketserver
import subprocess

log = logging.getLogger("farm.control")
SERVICES = ("renderd", "cachewarm", "uploader")
ACTIONS = ("start", "stop", "status")


class ControlHandler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            words = raw.decode("utf-8", errors="replace").split()
            log.info("control command " + json.dumps(words))  # safe: py.log-injection
            if len(words) != 2:
                self.wfile.write(b"ERR usage: ACTION SERVICE\n")
                continue
            action, service = words
            if action not in ACTIONS or service not in SERVICES:
                self.wfile.write(b"ERR unknown action or service\n")
                continue
            result = subprocess.run(["systemctl", action, service], capture_output=True, text=True)  # safe: py.shell-injection
            self.wfile.write(f"OK {result.returncode}\n".encode())
            subprocess.run(f"logger -t farm-control {action} {service}", shell=True)  # safe: py.shell-injection


if __name__ == "__main__":
    with socketserver.TCPServer(("127.0.0.1", 7070), ControlHandler) as server:
        server.serve_forever()
