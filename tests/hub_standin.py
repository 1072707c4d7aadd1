"""STAND-IN for the Hugging Face Hub's *upload* API, for tests only.

No self-hostable Hub server accepts uploads (olah, the real mirror the tests
pull from, is read-only), so this small standard-library HTTP server answers
the routes ``huggingface_hub`` calls to publish: ``repos/create``, repo info,
``tree``, ``preupload`` (always ``regular``: files come base64 in the commit),
``validate-yaml``, ``commit`` (NDJSON) and Space ``variables``.

Every repo is a plain git repository laid out as olah's ``mirrors-path``
expects (``ROOT/models/OWNER/NAME``, ``ROOT/spaces/OWNER/NAME``), so what is
published here can be pulled back through a real olah server. Writes need the
token given on the command line; a wrong one gets the Hub's 401 answer.

Run: ``python tests/hub_standin.py ROOT PORT TOKEN``; prints ``ready`` once listening.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlsplit

import yaml  # only to check card metadata, as the Hub's validate-yaml does

# A subset of the Hub's licence ids, enough to tell a real one from a typo.
LICENSES = {"mit", "apache-2.0", "bsd-3-clause", "cc0-1.0", "cc-by-4.0", "cc-by-nc-4.0", "cc-by-sa-4.0", "other"}
REPO_ROUTE = re.compile(r"/api/(models|spaces)/([\w.-]+/[\w.-]+)(?:/(revision|tree|preupload|commit)/([^/]+))?/?(.*)")
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "hub", "GIT_AUTHOR_EMAIL": "hub@localhost",
           "GIT_COMMITTER_NAME": "hub", "GIT_COMMITTER_EMAIL": "hub@localhost"}


class HubError(Exception):
    def __init__(self, status: int, message: str, **extra: str):
        super().__init__(message)
        self.status, self.extra = status, extra


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, env=GIT_ENV, check=True)
    return done.stdout.decode()


class Store:
    """The repos, one git work tree each; one lock keeps commits in order."""

    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.Lock()

    def repo(self, kind: str, repo_id: str, *, exists: bool = True) -> Path:
        path = self.root / kind / repo_id
        if exists and not (path / ".git").is_dir():
            raise HubError(404, "Repository not found")
        return path

    def create(self, kind: str, repo_id: str) -> bool:
        """New repo with the Hub's initial commit; False when it already exists."""
        path = self.repo(kind, repo_id, exists=False)
        with self.lock:
            if (path / ".git").is_dir():
                return False
            path.mkdir(parents=True)
            git(path, "init", "-q", "-b", "main")
            (path / ".gitattributes").write_text("*.h5 filter=lfs diff=lfs merge=lfs -text\n")
            git(path, "add", "-A")
            git(path, "commit", "-q", "-m", "initial commit")
            return True

    def head(self, path: Path, revision: str = "main") -> str:
        try:
            return git(path, "rev-parse", "--verify", f"{revision}^{{commit}}").strip()
        except subprocess.CalledProcessError:
            raise HubError(404, "Revision not found") from None

    def tree(self, path: Path, revision: str) -> list[dict]:
        lines = git(path, "ls-tree", "-r", "-l", self.head(path, revision)).splitlines()
        entries = []
        for line in lines:
            meta, name = line.split("\t", 1)
            _, _, oid, size = meta.split()
            entries.append({"type": "file", "oid": oid, "size": int(size), "path": name})
        return entries

    def commit(self, path: Path, lines: list[dict]) -> str:
        """Apply one NDJSON commit whole, or nothing of it."""
        header = lines[0]["value"] if lines and lines[0].get("key") == "header" else None
        if header is None:
            raise HubError(400, "commit must start with a header")
        adds, deletes = {}, []
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value", {})
            name = safe_path(value.get("path", ""))
            if key == "file" and value.get("encoding") == "base64":
                adds[name] = base64.b64decode(value["content"], validate=True)
            elif key in ("deletedFile", "deletedFolder"):
                deletes.append(name)
            else:
                raise HubError(400, f"stand-in accepts regular files only, not {key!r}")
        with self.lock:
            if header.get("parentCommit") not in (None, self.head(path)):
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            for name in deletes:
                git(path, "rm", "-r", "-q", "--", name)
            for name, content in adds.items():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                (path / name).write_bytes(content)
            git(path, "add", "-A")
            message = "\n\n".join(part for part in (header.get("summary"), header.get("description")) if part)
            git(path, "commit", "-q", "--allow-empty", "-m", message or "commit")
            return self.head(path)


def safe_path(name: str) -> str:
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts or parts[0] == ".git":
        raise HubError(400, f"invalid path in repo: {name!r}")
    return name


def check_card(content: str) -> None:
    """The part of the Hub's card validation that publishing relies on."""
    match = re.match(r"---\n(.*?)\n---\n", content, re.S)
    metadata = yaml.safe_load(match.group(1)) if match else None
    if not isinstance(metadata, dict):
        raise HubError(400, "README.md has no YAML metadata block")
    if metadata.get("license") is not None and metadata["license"] not in LICENSES:
        raise HubError(400, f'"license" must be one of the Hub\'s licence ids, got {metadata["license"]!r}')
    for entry in metadata.get("model-index", []):
        if not entry.get("name") or not all("dataset" in r and "metrics" in r for r in entry.get("results", [])):
            raise HubError(400, '"model-index" entries need a name and results with dataset and metrics')


class Handler(BaseHTTPRequestHandler):
    store: Store
    token: str

    def log_message(self, format: str, *args) -> None:
        print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", file=sys.stderr)

    def do_GET(self) -> None:
        self.handle_route()

    def do_POST(self) -> None:
        self.handle_route()

    def handle_route(self) -> None:
        try:
            self.reply(200, self.route())
        except HubError as error:
            headers = {"X-Error-Message": str(error)}
            if error.status == 404:
                headers["X-Error-Code"] = "RevisionNotFound" if "Revision" in str(error) else "RepoNotFound"
            if self.headers.get("Accept") == "text/plain":  # how validate-yaml is asked
                self.reply(error.status, str(error), headers)
            else:
                self.reply(error.status, {"error": str(error), **error.extra}, headers)

    def route(self) -> object:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "POST" and url.path == "/api/validate-yaml":
            check_card(json.loads(body)["content"])
            return {"errors": [], "warnings": []}
        self.authorize()
        if self.command == "POST" and url.path == "/api/repos/create":
            request = json.loads(body)
            kind, repo_id = f"{request.get('type') or 'model'}s", f"{request['organization']}/{request['name']}"
            url_prefix = "" if kind == "models" else f"/{kind}"
            answer = {"url": f"http://{self.headers['Host']}{url_prefix}/{repo_id}", "name": repo_id}
            if not self.store.create(kind, repo_id):
                raise HubError(409, "You already created this repo", url=answer["url"])
            return answer
        match = REPO_ROUTE.fullmatch(url.path)
        if match is None:
            raise HubError(404, f"stand-in has no route {self.command} {url.path}")
        kind, repo_id, action, revision, rest = match.groups()
        path = self.store.repo(kind, repo_id)
        if self.command == "POST" and rest == "variables" and not action:
            variables = path.parent / f"{path.name}.variables.json"
            values = json.loads(variables.read_text()) if variables.exists() else {}
            request = json.loads(body)
            values[request["key"]] = {"value": request["value"]}
            variables.write_text(json.dumps(values))
            return values
        if self.command == "GET" and action in (None, "revision"):
            sha = self.store.head(path, revision or "main")
            siblings = [{"rfilename": entry["path"]} for entry in self.store.tree(path, sha)]
            return {"id": repo_id, "sha": sha, "private": False, "siblings": siblings}
        if self.command == "GET" and action == "tree":
            recursive = parse_qs(url.query).get("recursive", ["false"])[0].lower() == "true"
            entries = self.store.tree(path, revision)
            return [entry for entry in entries if recursive or "/" not in entry["path"]]
        if self.command == "POST" and action == "preupload":
            self.store.head(path, revision)
            files = json.loads(body)["files"]
            return {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}
        if self.command == "POST" and action == "commit" and revision == "main":
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            oid = self.store.commit(path, lines)
            url_prefix = "" if kind == "models" else f"/{kind}"
            return {"commitUrl": f"http://{self.headers['Host']}{url_prefix}/{repo_id}/commit/{oid}",
                    "commitOid": oid, "pullRequestUrl": None}
        raise HubError(404, f"stand-in has no route {self.command} {url.path}")

    def authorize(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            raise HubError(401, "Invalid credentials in Authorization header")

    def reply(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        text = isinstance(payload, str)
        data = payload.encode() if text else json.dumps(payload).encode()
        self.send_response(status)
        content_type = "text/plain" if text else "application/json"
        for name, value in {"Content-Type": content_type, **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(root: str, port: str, token: str) -> None:
    Handler.store, Handler.token = Store(Path(root)), token
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
