"""`shipform diff`: what a synth would change in the committed output, as unified diffs for a review."""

from __future__ import annotations

import difflib
from pathlib import Path

from shipform.model.stage import AppBase
from shipform.synth.pipeline import output_trees, render, resolve_outdir

NO_FILE = "/dev/null"


def _current(path: Path) -> str | None:
    """The file's text as committed; None when there is no regular file there."""
    if path.is_symlink() or not path.is_file():
        return None
    return path.read_bytes().decode("utf-8", errors="replace")


def diff_app(app: AppBase, outdir: str | None = None, environment: str | None = None) -> list[str]:
    """Unified diff lines, per file in path order: new files against /dev/null, changed files against what is
    on disk. ``environment`` keeps only that Environment's Kubernetes files. Stale files are listed too."""
    root = resolve_outdir(app, outdir)
    lines: list[str] = []
    for folder, files in output_trees(app, root, render(app, root)).items():
        shown = Path(folder).resolve()
        for rel, text in sorted(files.items()):
            if environment is not None and not rel.startswith(f"k8s/{environment}/"):
                continue
            old = _current(folder / rel)
            if old == text:
                continue
            label = f"{shown.name}/{rel}"
            lines += difflib.unified_diff(
                [] if old is None else old.splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=NO_FILE if old is None else f"a/{label}", tofile=f"b/{label}")
    return [line if line.endswith("\n") else line + "\n" for line in lines]
