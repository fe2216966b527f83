"""Helpers that run generated `run:` scripts as a GitHub runner would (``bash -e``, the runner's variables, a
GITHUB_OUTPUT file read back as a dict), read steps out of workflow files, and judge paths against a push
trigger's ``paths`` filter with GitHub's rules."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

VENV_BIN = Path(sys.executable).parent


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


def run_script(script: str, cwd: Path, env: dict[str, str], temp: Path) -> Ran:
    """``script`` under ``bash -e`` in ``cwd`` with ``env`` over the runner's own variables (RUNNER_TEMP,
    GITHUB_OUTPUT, ...); the venv's shipform (and any fake tools in ``temp``/bin) first on PATH."""
    temp.mkdir(parents=True, exist_ok=True)
    output = temp / "github-output"
    output.write_text("")
    path = f"{temp / 'bin'}{os.pathsep}{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
    full = {**os.environ, "PATH": path, "RUNNER_TEMP": str(temp), "GITHUB_OUTPUT": str(output),
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "1",
            "GIT_CONFIG_GLOBAL": str(temp / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1", **env}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=full, capture_output=True, text=True,
                            timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return Ran(result.returncode, result.stdout, result.stderr, outputs)


def fake_tool(temp: Path, name: str, script: str) -> None:
    """A stand-in for ``name`` on the scripts' PATH (a small bash script)."""
    folder = temp / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(0o755)


def workflow(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def step(doc: dict, job: str, name_or_id: str) -> dict:
    return next(s for s in doc["jobs"][job]["steps"] if name_or_id in (s.get("id"), s.get("name")))


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
            "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com", **(env or {})}
    return subprocess.run(["git", *args], cwd=cwd, env=full, check=True, capture_output=True,
                          text=True).stdout.strip()


def _glob(pattern: str) -> re.Pattern[str]:
    """GitHub's filter pattern: ``**`` any characters, ``*`` any but '/', ``?`` one character but '/'."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def starts_build(paths: list[str], changed: list[str]) -> bool:
    """Whether a push changing ``changed`` runs a workflow with ``paths``: a file is included when the last
    pattern matching it is not a '!' one, and one included file is enough."""
    def included(path: str) -> bool:
        verdict = False
        for pattern in paths:
            negated = pattern.startswith("!")
            if _glob(pattern.removeprefix("!")).match(path):
                verdict = not negated
        return verdict
    return any(included(path) for path in changed)
