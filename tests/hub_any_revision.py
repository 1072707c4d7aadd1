"""A lax Hub-compatible server, for tests only: it resolves ANY revision it is asked for,
and serves two repos whose answers a client must not trust.

The real Hub and olah refuse a revision such as ``../../x``; a mirror or proxy
need not, and huggingface_hub then writes the resolved commit to a file named
after the revision. It also stores each file under the etag the server gives
and each snapshot under the commit: ``alice/etag`` answers with a ``../`` etag
for its config.json, ``alice/commit`` with a ``../`` commit. Every request is
noted in ``requests.log`` in the working folder, so a test can tell whether a
client asked anything at all.

Run: ``python tests/hub_any_revision.py PORT``; prints ``ready`` once listening.
"""

from __future__ import annotations

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

COMMIT = "c" * 40
CONFIG = b'{"name": "tiny"}\n'
CONFIG_ETAG = hashlib.sha1(b"blob %d\0" % len(CONFIG) + CONFIG).hexdigest()  # git's blob sha1
# What huggingface_hub would make paths of: the etag of a file, the commit of a revision.
ESCAPING_ETAG, ESCAPING_COMMIT = "../../../../escaped-etag", "../../../escaped-commit"


class AnyRevision(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self.answer(head=True)

    def do_GET(self) -> None:
        self.answer(head=False)

    def answer(self, head: bool) -> None:
        with open("requests.log", "a") as log:
            log.write(f"{self.command} {self.path}\n")
        repo = "/".join(self.path.split("/")[3:5] if self.path.startswith("/api/") else self.path.split("/")[1:3])
        files = [] if repo == "alice/tiny" else ["config.json"]
        commit = ESCAPING_COMMIT if repo == "alice/commit" else COMMIT
        if "/resolve/" in self.path:  # the one file, under an etag that is a path
            etag = ESCAPING_ETAG if repo == "alice/etag" else CONFIG_ETAG
            self.send(CONFIG, "application/json", head, {"ETag": f'"{etag}"', "X-Repo-Commit": commit})
        elif "/tree/" in self.path:
            self.send(json.dumps([{"type": "file", "path": name, "size": len(CONFIG), "oid": CONFIG_ETAG}
                                  for name in files]).encode(), "application/json", head)
        else:  # model info at any revision
            self.send(json.dumps({"id": repo, "sha": commit, "siblings": [{"rfilename": name} for name in files]}
                                 ).encode(), "application/json", head)

    def send(self, body: bytes, kind: str, head: bool, headers: dict | None = None) -> None:
        self.send_response(200)
        for name, value in {"Content-Type": kind, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", int(sys.argv[1])), AnyRevision)
    print("ready", flush=True)
    server.serve_forever()
