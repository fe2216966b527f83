"""What every stand-in program shares: its inputs (``INPUT_<NAME>`` variables, set by the stand-in's action.yml),
its outputs (``$GITHUB_OUTPUT``), the run's folders (``STANDIN_*``, set by the runner) and GitHub's rules that act
does not apply: the job's token permissions and the tokens GitHub issued."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

LEVELS = {"none": 0, "read": 1, "write": 2}


def value(name: str, default: str = "") -> str:
    """The input ``name`` as the action.yml handed it (empty when not given)."""
    return os.environ.get("INPUT_" + name.upper().replace("-", "_").replace(" ", "_"), default)


def flag(name: str, default: bool = False) -> bool:
    text = value(name).strip().lower()
    return default if not text else text == "true"


def lines(name: str) -> list[str]:
    """A list input: newline or comma separated, as the docker and actions toolkits read them."""
    return [part.strip() for line in value(name).splitlines() for part in line.split(",") if part.strip()]


def folder(name: str) -> Path:
    """A folder the runner set up for this run (``STANDIN_<NAME>``)."""
    path = os.environ.get(f"STANDIN_{name}")
    if not path:
        fail(f"STANDIN_{name} is not set: run workflows through tests/act/runner.py")
    return Path(path)


def output(name: str, text: str) -> None:
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with open(os.environ["GITHUB_OUTPUT"], "a") as out:
        out.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")


def add_path(path: Path) -> None:
    with open(os.environ["GITHUB_PATH"], "a") as out:
        out.write(f"{path}\n")


def set_env(name: str, text: str) -> None:
    with open(os.environ["GITHUB_ENV"], "a") as out:
        out.write(f"{name}={text}\n")


def say(message: str) -> None:
    print(f"[stand-in] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> NoReturn:
    print(f"::error::{message}", flush=True)
    raise SystemExit(1)


def permissions(job: str | None = None) -> dict[str, str] | None:
    """The GITHUB_TOKEN permissions of the running job as GitHub would grant them (None: not known)."""
    table = os.environ.get("STANDIN_JOB_PERMISSIONS")
    if not table:
        return None
    found = json.loads(table).get(job or os.environ.get("GITHUB_JOB", ""))
    return None if found is None else dict(found)


def has_permission(scope: str, level: str, job: str | None = None) -> bool:
    granted = permissions(job)
    return granted is None or LEVELS.get(granted.get(scope, "none"), 0) >= LEVELS[level]


def require_permission(scope: str, level: str, message: str) -> None:
    if not has_permission(scope, level):
        fail(message)


def token_kind(token: str) -> str | None:
    """Which token GitHub issued this is ('github-token', 'app'), or None for one it never issued."""
    return json.loads(os.environ.get("STANDIN_TOKENS", "{}")).get(token)


def run(args: Sequence[str | Path], *, check: bool = True, capture: bool = False,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool, its output in the job's log (or captured); a failure ends the stand-in with its exit code."""
    printable = " ".join(str(a) for a in args)
    say(f"$ {printable}")
    proc = subprocess.run([str(a) for a in args], text=True, env=env,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and proc.returncode != 0:
        if capture:
            sys.stderr.write(proc.stdout or "")
            sys.stderr.write(proc.stderr or "")
        fail(f"`{printable}` exited {proc.returncode}")
    return proc


def event() -> dict[str, object]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    return json.loads(Path(path).read_text()) if path and Path(path).exists() else {}


def workspace() -> Path:
    return Path(os.environ.get("GITHUB_WORKSPACE", "."))
