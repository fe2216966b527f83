"""`shipform diff`: what a synth would change in the committed output, as unified diffs for a review."""

from __future__ import annotations

import difflib
from pathlib import Path

from shipform.model.stage import App
from shipform.synth.pipeline import manifest_name, output_trees, render, resolve_outdir
from shipform.write.writer import check_output, owner_line

NO_FILE = "/dev/null"


def _current(path: Path) -> str | None:
    """The file's text as committed; None when there is no regular file there."""
    if path.is_symlink() or not path.is_file():
        return None
    return path.read_bytes().decode("utf-8", errors="replace")


def diff_app(app: App, outdir: str | None = None, environment: str | None = None) -> list[str]:
    """Unified diff lines, per file in path order: new files against /dev/null, changed files against what is
    on disk, and stale files (ones synth would delete) against /dev/null. ``environment`` keeps only that
    Environment's Kubernetes files."""
    root = resolve_outdir(app, outdir)
    lines: list[str] = []
    for folder, files in output_trees(app, root, render(app, root)).items():
        shown = Path(folder).resolve()
        stale = [change[2:] for change in check_output(folder, files, owner_line(app.name),
                                                       manifest_name(app, root, folder)) if change[0] == "-"]
        for rel in sorted([*files, *stale]):
            if environment is not None and not rel.startswith(f"k8s/{environment}/"):
                continue
            old, new = _current(folder / rel), files.get(rel)
            if old == new:
                continue
            label = f"{shown.name}/{rel}"
            lines += difflib.unified_diff(
                [] if old is None else old.splitlines(keepends=True),
                [] if new is None else new.splitlines(keepends=True),
                fromfile=NO_FILE if old is None else f"a/{label}", tofile=NO_FILE if new is None else f"b/{label}")
    return [line if line.endswith("\n") else line + "\n" for line in lines]
