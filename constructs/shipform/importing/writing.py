"""Writing an import: the app file and, where the compose file holds literal credentials, the file of the
``SHIPFORM_SECRET_*`` variables ``shipform secrets init-local`` reads (mode 0600). Neither overwrites a file
unless forced; both are written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from shipform.errors import ShipformError
from shipform.importing.importer import import_compose, secret_variable
from shipform.importing.plan import ImportPlan
from shipform.importing.source import app_source


def secrets_file_name(output: Path) -> str:
    return f"{output.stem}.secrets.env"


def write_import(compose: Path, output: Path, force: bool = False) -> list[Path]:
    """Import ``compose`` into the app file ``output``; the paths written."""
    if output.suffix != ".py":
        raise ShipformError(str(output), "-o", "must name a Python file", None, "pass e.g. -o app.py")
    if output.is_dir():
        raise ShipformError(str(output), "-o", "is a folder", None, "pass the app file to write, e.g. -o app.py")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise ShipformError(str(output), "-o", "is in a folder that does not exist", str(folder),
                            "create the folder first")
    plan = import_compose(compose, folder)
    secrets = folder / secrets_file_name(output)
    targets = [output] + ([secrets] if plan.secret_values else [])
    existing = [p for p in targets if p.exists() or p.is_symlink()]
    if existing and not force:
        raise ShipformError(str(existing[0]), "-o", "exists; the import never overwrites a file", None,
                            "pass another -o, move it away, or pass --force to overwrite it")
    text = app_source(plan, compose.name, secrets.name if plan.secret_values else None)
    _write(output, text, 0o644)
    if plan.secret_values:
        _write(secrets, secrets_text(plan), 0o600)
    return targets


def secrets_text(plan: ImportPlan) -> str:
    lines = ["# The literal credentials of the compose file, as the variables `shipform secrets init-local` reads.",
             "# Keep this file out of git. Use: set -a; . ./<this file>; set +a; shipform secrets init-local"]
    for (secret, key), value in sorted(plan.secret_values.items()):
        quoted = "'" + value.replace("'", "'\\''") + "'"
        lines.append(f"{secret_variable(secret, key)}={quoted}")
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, mode: int) -> None:
    """Atomically, never through a symlink: a temporary file beside it, renamed over it."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise ShipformError(str(path), "-o", f"cannot be written ({err.strerror})", None,
                            "pick a folder you can write to") from err
