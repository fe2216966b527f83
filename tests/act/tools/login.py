"""docker/login-action's stand-in: checks the registry answers (``GET /v2/``) and writes the credentials to
~/.docker/config.json as ``docker login`` does (tools that push read them there: actions/attest's stand-in does).
The loopback registry asks for no credentials, so any non-empty pair is accepted, as a registry without auth
would; an empty username or password fails with the real action's message. No logout at the job's end
(composite actions have no post step). With ``STANDIN_GHCR`` (``ghcr.io/<org>=<loopback>/<namespace>``) a login
to ghcr.io checks the loopback registry that stands in for it."""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from pathlib import Path

from act.tools.common import fail, say, value


def main() -> int:
    registry = value("registry") or "docker.io"
    username, password = value("username"), value("password")
    if not username or not password:
        fail("Username and password required")
    target = registry
    ghcr, _, loopback = os.environ.get("STANDIN_GHCR", "").partition("=")
    if registry == "ghcr.io" and ghcr.startswith("ghcr.io/"):
        target = loopback.split("/", 1)[0]  # the loopback registry standing in for GHCR in this run
    if not target.startswith(("127.0.0.1:", "localhost:")):
        fail(f"{registry}: only the loopback registry is reachable from this runner (offline)")
    try:
        with urllib.request.urlopen(f"http://{target}/v2/", timeout=10) as answer:
            status = answer.status
    except OSError as error:
        fail(f"Error response from daemon: Get \"http://{target}/v2/\": {error}")
    if status != 200:
        fail(f"Error response from daemon: login attempt to http://{target}/v2/ failed with status: {status}")
    config_path = Path.home() / ".docker" / "config.json"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    config.setdefault("auths", {})[registry] = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    config_path.write_text(json.dumps(config, indent=2))
    say(f"Login Succeeded ({registry}, credentials in {config_path})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
