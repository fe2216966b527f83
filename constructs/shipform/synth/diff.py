"""`shipform diff`: what a synth would change in the committed output, as unified diffs for a review.

Headers name each file by its path from the repository root, with git's ``a/`` and ``b/`` prefixes
(``a/dist/shop/k8s/prod/...``, ``a/.github/workflows/shop-ci.yaml``), so ``git apply`` at the root takes the
diff as it is; output written outside the repository is named by its absolute path."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from shipform.delivery.repository import find_root
from shipform.model.stage import App
from shipform.synth.pipeline import manifest_name, output_trees, render, resolve_outdir
from shipform.write.writer import check_output, owner_line

NO_FILE = "/dev/null"


def _current(path: Path) -> str | None:
    """The file's text as committed; None when there is no regular file there."""
    if path.is_symlink() or not path.is_file():
        return None
    return path.read_bytes().decode("utf-8", errors="replace")


def labels(folder: Path, rel: str, repository: Path) -> tuple[str, str]:
    """(old, new) header names of ``folder/rel``: ``a/<path from the repository root>`` and ``b/...``, or the
    absolute path on both sides when the file is outside the repository. The file itself is not resolved: a
    symlink where shipform writes is replaced, never followed."""
    path = folder.resolve() / rel
    if path.is_relative_to(repository):
        rel = path.relative_to(repository).as_posix()
        return f"a/{rel}", f"b/{rel}"
    return str(path), str(path)


def diff_app(app: App, outdir: str | None = None, environment: str | None = None,
             project: Path | None = None) -> list[str]:
    """Unified diff lines, per file in path order: new files against /dev/null, changed files against what is
    on disk, and stale files (ones synth would delete) against /dev/null. ``environment`` keeps only that
    Environment's Kubernetes files; ``project`` is the project root (default: found from the app's folder)."""
    return [line for file in file_diffs(app, outdir, environment, project) for line in file.lines]


@dataclass(frozen=True)
class FileDiff:
    """One file's unified diff: ``path`` from the repository root (absolute outside it), ``change`` '+' (new),
    '~' (changed) or '-' (synth would delete it), and the diff's lines, each ending in a newline."""

    path: str
    change: str
    lines: list[str]


def file_diffs(app: App, outdir: str | None = None, environment: str | None = None,
               project: Path | None = None) -> list[FileDiff]:
    """:func:`diff_app`, one entry per differing file (`shipform diff --json` reports them so)."""
    root = resolve_outdir(app, outdir, project)
    repository = find_root(app.root)
    diffs: list[FileDiff] = []
    for folder, files in output_trees(app, root, render(app, root), project).items():
        stale = [change[2:] for change in check_output(folder, files, owner_line(app.name),
                                                       manifest_name(app, root, folder)) if change[0] == "-"]
        for rel in sorted([*files, *stale]):
            if environment is not None and not rel.startswith(f"k8s/{environment}/"):
                continue
            old, new = _current(folder / rel), files.get(rel)
            if old == new:
                continue
            before, after = labels(folder, rel, repository)
            lines = difflib.unified_diff(
                [] if old is None else old.splitlines(keepends=True),
                [] if new is None else new.splitlines(keepends=True),
                fromfile=NO_FILE if old is None else before, tofile=NO_FILE if new is None else after)
            change = "+" if old is None else "-" if new is None else "~"
            diffs.append(FileDiff(after.removeprefix("b/"), change,
                                  [line if line.endswith("\n") else line + "\n" for line in lines]))
    return diffs
