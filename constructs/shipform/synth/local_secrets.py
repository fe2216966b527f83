"""Local, git-ignored secret files for compose, and the check that no secret value reaches any output."""

from __future__ import annotations

import secrets
from pathlib import Path

from shipform.errors import ShipformError
from shipform.model.stage import AppBase
from shipform.render.compose import COMPOSE_DIR, LOCAL_SECRETS_DIR

MIN_CHECKED_LENGTH = 8
"""Shorter values would match by chance; generated values are 43 characters."""


def secrets_folder(app: AppBase, outdir: Path) -> Path:
    return outdir / app.name / COMPOSE_DIR / LOCAL_SECRETS_DIR


def referenced_files(app: AppBase) -> list[str]:
    env = app.local_environment
    if env is None:
        return []
    return sorted({f.ref.file_name for w in env.to_spec().workloads for f in w.secret_files})


def init_local(app: AppBase, outdir: Path) -> list[Path]:
    """Create a random value for every secret file compose references and that does not exist yet.
    The folder is private to its owner; the files are readable so a container's non-root user can read
    the bind-mounted copy."""
    folder = secrets_folder(app, outdir)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    created = []
    for name in referenced_files(app):
        path = folder / name
        if path.exists():
            continue
        path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        path.chmod(0o644)
        created.append(path)
    return created


def known_values(app: AppBase, outdir: Path) -> dict[str, str]:
    folder = secrets_folder(app, outdir)
    values = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            value = path.read_text(encoding="utf-8", errors="replace").strip() if path.is_file() else ""
            if len(value) >= MIN_CHECKED_LENGTH:
                values[path.name] = value
    return values


def leak_errors(app_name: str, files: dict[str, str], values: dict[str, str]) -> list[ShipformError]:
    """A secret value in an output file is an error, whatever put it there."""
    return [ShipformError(app_name, "secrets", f"the value of secret '{name}' would be written to {path}",
                          "<redacted>", "pass it as a SecretRef, never as a literal value")
            for name, value in values.items() for path, text in files.items() if value in text]
