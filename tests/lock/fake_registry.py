"""A tiny Docker Registry v2 served in process by http.server on 127.0.0.1: manifests by tag, optionally behind
the anonymous Bearer token flow (realm on the same server), with or without the Docker-Content-Digest header."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
TOKEN = "anonymous-pull-token"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeRegistry:
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    """{(repository, tag): (media type, body)}"""
    token_flow: bool = True
    digest_header: bool = True
    challenge: str | None = None
    """The WWW-Authenticate value of a 401 (default: Bearer with this server's realm)."""
    seen: list[Seen] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def add(self, repository: str, tag: str, body: bytes, media_type: str = OCI_INDEX) -> str:
        self.manifests[(repository, tag)] = (media_type, body)
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def __enter__(self) -> FakeRegistry:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self.answer(head=True)

            def do_GET(self) -> None:
                self.answer(head=False)

            def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                     head: bool = False) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def answer(self, head: bool) -> None:
                registry.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
                url = urlsplit(self.path)
                if url.path == "/token":
                    query = parse_qs(url.query)
                    ok = query.get("service") == ["fake-registry"] and query.get("scope", [""])[0].endswith(":pull")
                    body = json.dumps({"token": TOKEN}).encode() if ok else b'{"details": "bad scope"}'
                    self.send(200 if ok else 400, body, {"Content-Type": "application/json"}, head)
                    return
                if registry.token_flow and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    name = url.path.removeprefix("/v2/").rsplit("/manifests/", 1)[0]
                    challenge = registry.challenge or (
                        f'Bearer realm="http://{registry.host}/token",service="fake-registry",'
                        f'scope="repository:{name}:pull"')
                    self.send(401, b'{"errors": [{"code": "UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge}, head)
                    return
                if "/manifests/" not in url.path:
                    self.send(404, b"", head=head)
                    return
                name, tag = url.path.removeprefix("/v2/").rsplit("/manifests/", 1)
                found = registry.manifests.get((name, tag))
                if found is None:
                    self.send(404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}',
                              {"Content-Type": "application/json"}, head)
                    return
                media_type, body = found
                headers = {"Content-Type": media_type}
                if registry.digest_header:
                    headers["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(body).hexdigest()
                self.send(200, body, headers, head)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
