"""A lax Hub-compatible server, for tests only: it resolves ANY revision it is asked for,
and serves repos whose answers a client must not trust.

The real Hub and olah refuse a revision such as ``../../x``; a mirror or proxy
need not, and huggingface_hub then writes the resolved commit to a file named
after the revision. It also stores each file under the etag the server gives
and each snapshot under the commit: ``alice/etag`` answers with a ``../`` etag
for its config.json, ``alice/commit`` with a ``../`` commit. Its client waits
as long as a server keeps sending and takes as much as it sends:
``alice/silent`` sends the model info's headers and then nothing for 30 s,
``alice/stalled`` does so for config.json's,
``alice/slow`` sends config.json a byte every quarter second, ``alice/endless``
sends it without end, ``alice/huge`` announces 2 GiB, ``alice/zipped`` sends it
gzipped. Every request is noted in ``requests.log`` in the working folder (with
its Accept-Encoding), so a test can tell whether a client asked anything at all.

Run: ``python tests/hub_any_revision.py PORT``; prints ``ready`` once listening.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
            log.write(f"{self.command} {self.path} {self.headers.get('Accept-Encoding')}\n")
        repo = "/".join(self.path.split("/")[3:5] if self.path.startswith("/api/") else self.path.split("/")[1:3])
        files = [] if repo == "alice/tiny" else ["config.json"]
        commit = ESCAPING_COMMIT if repo == "alice/commit" else COMMIT
        if "/resolve/" in self.path and not head and repo in ("alice/slow", "alice/endless"):
            self.trickle(repo == "alice/slow")
        elif (self.path.startswith("/api/models/") and repo == "alice/silent"
              or "/resolve/" in self.path and not head and repo == "alice/stalled"):
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            time.sleep(30)
        elif "/resolve/" in self.path:  # the one file, under an etag that is a path
            headers = {"ETag": f'"{ESCAPING_ETAG if repo == "alice/etag" else CONFIG_ETAG}"', "X-Repo-Commit": commit}
            body = CONFIG
            if repo == "alice/zipped" and not head:
                body, headers["Content-Encoding"] = gzip.compress(CONFIG), "gzip"
            if repo == "alice/huge":
                headers["Content-Length"] = str(2 << 30)
            self.send(body, "application/json", head, headers)
        elif "/tree/" in self.path:
            self.send(json.dumps([{"type": "file", "path": name, "size": len(CONFIG), "oid": CONFIG_ETAG}
                                  for name in files]).encode(), "application/json", head)
        else:  # model info at any revision
            self.send(json.dumps({"id": repo, "sha": commit, "siblings": [{"rfilename": name} for name in files]}
                                 ).encode(), "application/json", head)

    def trickle(self, slow: bool) -> None:
        """config.json a byte every quarter second, or zeros without end (no length: until closed)."""
        self.send_response(200)
        if slow:
            self.send_header("Content-Length", str(len(CONFIG)))
        self.end_headers()
        chunks = (bytes([byte]) for byte in CONFIG) if slow else iter(lambda: bytes(1 << 16), None)
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(0.25 if slow else 0)
        except OSError:  # the client gave up
            pass

    def send(self, body: bytes, kind: str, head: bool, headers: dict | None = None) -> None:
        self.send_response(200)
        for name, value in {"Content-Type": kind, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), AnyRevision)
    print("ready", flush=True)
    server.serve_forever()
