"""Writing an app's output folder safely.

The new output is staged next to the old one, files shipform does not own are hard-linked into the
stage untouched, and the stage then replaces the folder by rename. A failure before the swap leaves
the old output as it was; a crash between the two renames is repaired by the next synth.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

MANIFEST = ".shipform-manifest.json"


def read_manifest(folder: Path) -> list[str]:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def manifest_text(files: dict[str, str]) -> str:
    body = {"generator": "shipform", "note": "Files shipform owns in this folder; others are left alone.",
            "files": sorted(files)}
    return json.dumps(body, indent=2) + "\n"


def _recover(folder: Path) -> None:
    """Finish a swap that a crash interrupted: the old folder is back if the new one never arrived."""
    backup = folder.with_name(f".{folder.name}.old")
    if backup.exists() and not folder.exists():
        backup.rename(folder)
    elif backup.exists():
        shutil.rmtree(backup)


def _link_unowned(folder: Path, stage: Path, owned: set[str]) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel in owned or rel == MANIFEST:
            continue
        if path.is_dir() and not path.is_symlink():
            (stage / rel).mkdir(parents=True, exist_ok=True)
            (stage / rel).chmod(path.stat().st_mode & 0o7777)  # e.g. a private local secrets folder stays private
            continue
        target = stage / rel
        if target.exists():
            continue  # a file the user made where shipform now writes; shipform's version wins
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target, follow_symlinks=False)


def write_output(folder: Path, files: dict[str, str]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    _recover(folder)
    previous = set(read_manifest(folder))
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        for rel, text in files.items():
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        (stage / MANIFEST).write_text(manifest_text(files), encoding="utf-8")
        _link_unowned(folder, stage, previous | set(files))
        stage.chmod(0o755)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    backup = folder.with_name(f".{folder.name}.old")
    if folder.exists():
        folder.rename(backup)
    stage.rename(folder)
    shutil.rmtree(backup, ignore_errors=True)


def check_output(folder: Path, files: dict[str, str]) -> list[str]:
    """Paths whose committed content differs from a fresh render: '+ new', '- stale', '~ changed'."""
    changes: list[str] = []
    for rel, text in files.items():
        path = folder / rel
        if not path.is_file():
            changes.append(f"+ {rel}")
        elif path.read_text(encoding="utf-8") != text:
            changes.append(f"~ {rel}")
    changes.extend(f"- {rel}" for rel in sorted(set(read_manifest(folder)) - set(files)) if (folder / rel).exists())
    manifest = folder / MANIFEST
    if not manifest.is_file() or manifest.read_text(encoding="utf-8") != manifest_text(files):
        changes.append(f"~ {MANIFEST}")
    return changes
