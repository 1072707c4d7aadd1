"""A lax Hub-compatible server, for tests only: it resolves ANY revision it is asked for.

The real Hub and olah refuse a revision such as ``../../x``; a mirror or proxy
need not, and huggingface_hub then writes the resolved commit to a file named
after the revision. Every request is noted in ``requests.log`` in the working
folder, so a test can tell whether a client asked anything at all.

Run: ``python tests/hub_any_revision.py PORT``; prints ``ready`` once listening.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

COMMIT = "c" * 40


class AnyRevision(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        with open("requests.log", "a") as log:
            log.write(f"{self.command} {self.path}\n")
        # Model info at any revision: one commit, no files. Its file tree: empty.
        answer = [] if "/tree/" in self.path else {"id": "alice/tiny", "sha": COMMIT, "siblings": []}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", int(sys.argv[1])), AnyRevision)
    print("ready", flush=True)
    server.serve_forever()
