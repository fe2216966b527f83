"""What the files `shipform init` kept mean for the ones it created: one line per thing to do, so a repository it
did not start from still synthesizes, installs shipform in CI and passes its tests, or says exactly what is
missing."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

import yaml

from shipform.delivery.install import install_of
from shipform.delivery.repository import find_root
from shipform.errors import ShipformError
from shipform.write import reading

APP_FILE = "app.py"
OUTPUT = "dist"
"""The output folder init's cdk8s.yaml names (shipform's default)."""
IGNORED_OUTPUT = (OUTPUT, f"{OUTPUT}/", f"/{OUTPUT}", f"/{OUTPUT}/")
""".gitignore lines that keep the committed output (which CI compares with a fresh synth) out of git."""


def advice(folder: Path, name: str, changed: Sequence[str], created: Sequence[str], service_folder: str,
           service: str) -> tuple[str, ...]:
    """Lines saying what to do about the kept files that differ from init's (``changed``), and about CI's install
    of shipform in the repository ``folder`` is in."""
    lines = []
    if APP_FILE in changed and created:
        lines.append(f"{APP_FILE} is yours and was kept: the files created expect init's app, a WebService "
                     f"{service} built from {service_folder} that connects to a StatefulDB 'db'; add those to "
                     f"{APP_FILE}, or remove what you do not need (tests/test_app.py checks them)")
    if "cdk8s.yaml" in changed:
        lines += _cdk8s_yaml(folder)
    if ".gitignore" in changed:
        lines += _gitignore(folder)
    kept_service = [path for path in changed if path.startswith(service_folder)]
    if kept_service:
        lines.append(f"{', '.join(kept_service)} {'was' if len(kept_service) == 1 else 'were'} kept: app.py builds "
                     f"{service_folder} as the service {service}; make your files serve that")
    try:
        install_of(find_root(folder), name)
    except ShipformError as err:
        lines.append(f"{err.problem}. Fix: {err.fix}")
    return tuple(lines)


def _cdk8s_yaml(folder: Path) -> list[str]:
    """The kept cdk8s.yaml decides which file `shipform synth` runs here: it should be app.py."""
    try:
        data = yaml.safe_load(reading.read_text(folder / "cdk8s.yaml"))
        command = data.get("app") if isinstance(data, dict) else None
        words = shlex.split(command) if isinstance(command, str) else []
    except (OSError, UnicodeError, yaml.YAMLError, ValueError):
        return ["cdk8s.yaml was kept and cannot be read: make it valid YAML with the line `app: python app.py`, "
                "which `shipform synth` runs"]
    runs = next((word for word in words if word.endswith(".py")), None)
    if runs is not None and Path(runs) == Path(APP_FILE):
        return []
    now = f"runs {runs}" if runs else "names no Python file (synth then runs apps/main.py)"
    return [f"cdk8s.yaml was kept and its 'app' {now}: set `app: python {APP_FILE}` there, or pass the file, "
            f"`shipform synth {APP_FILE}`"]


def _gitignore(folder: Path) -> list[str]:
    try:
        lines = reading.read_text(folder / ".gitignore", errors="replace").splitlines()
    except OSError:
        return []
    if not any(line.strip() in IGNORED_OUTPUT for line in lines):
        return []
    return [f".gitignore was kept and ignores {OUTPUT}/, the synthesized output CI compares with a fresh synth: "
            f"add the line `!{OUTPUT}/` after that one, and commit {OUTPUT}/"]
