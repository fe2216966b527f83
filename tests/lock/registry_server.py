"""Debian's docker-registry (distribution v2) on a free loopback port, filesystem storage in a folder of the
caller's; shared by tests/lock's real-registry test, the admission replay's registry test and the workflow runs
of tests/act."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class RegistryError(RuntimeError):
    """The registry did not start; the message carries its log."""


def missing_tools(*tools: str) -> str | None:
    """Why the registry tests cannot run here (the tools missing and how to install them), or None."""
    wanted = tools or ("docker-registry", "skopeo")
    missing = [tool for tool in wanted if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not installed (apt-get install {' '.join(missing)})" if missing else None


@contextmanager
def registry_for_test(folder: Path, *tools: str) -> Iterator[str]:
    """``serve`` for a test's fixture: skips, saying why, where the tools are missing (fails instead under
    SHIPFORM_REQUIRE_CONTAINERS=1, as CI sets), and fails with the registry's log when it does not start."""
    reason = missing_tools(*tools)
    if reason:
        if os.environ.get("SHIPFORM_REQUIRE_CONTAINERS") == "1":
            pytest.fail(f"registry test required but cannot run: {reason}")
        pytest.skip(reason)
    try:
        with serve(folder) as host:
            yield host
    except RegistryError as error:
        pytest.fail(str(error))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(folder: Path, *, delete: bool = False) -> Iterator[str]:
    """host:port of a fresh registry on 127.0.0.1 storing in ``folder``; stopped on exit.

    ``delete`` lets clients delete manifests (off by default, as in distribution's own default)."""
    folder.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    config = folder / "config.yml"
    storage: dict[str, object] = {"filesystem": {"rootdirectory": str(folder / "data")}}
    if delete:
        storage["delete"] = {"enabled": True}
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "version": 0.1, "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": storage, "http": {"addr": host}}))
    log_path = folder / "registry.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "REGISTRY_HTTP_SECRET": os.urandom(16).hex()})
        try:
            _wait_until_up(host, server, log_path)
            yield host
        finally:
            server.terminate()
            server.wait(10)


def _wait_until_up(host: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(f"http://{host}/v2/", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RegistryError(f"docker-registry did not start: {log_path.read_text()[-2000:]}") from None
            time.sleep(0.05)
