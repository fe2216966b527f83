"""actions/upload-artifact and actions/download-artifact's stand-ins: the run's artifacts are folders under
``$STANDIN_ARTIFACTS`` (one per run, shared by its jobs), with the real actions' rules for what is uploaded
(the paths' least common ancestor is the artifact's root, hidden files left out unless asked, an existing name
refused unless ``overwrite``) and where a download lands (``name``: into ``path``; ``pattern``: each artifact
into ``path/<name>/``, or all into ``path`` with ``merge-multiple``)."""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import shutil
import sys
from pathlib import Path

from act.tools.common import fail, flag, folder, output, say, value, workspace


def matched(patterns: list[str], hidden: bool) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        for hit in sorted(glob.glob(str(workspace() / pattern), recursive=True, include_hidden=hidden)):
            path = Path(hit)
            files = [path] if path.is_file() else [p for p in sorted(path.rglob("*")) if p.is_file()]
            found += [f for f in files if hidden or not any(part.startswith(".") for part in
                                                             f.relative_to(path.parent).parts)]
    return found


def upload() -> int:
    name = value("name") or "artifact"
    patterns = [p.strip() for p in value("path").splitlines() if p.strip() and not p.strip().startswith("!")]
    files = matched(patterns, flag("include-hidden-files"))
    if not files:
        rule = value("if-no-files-found") or "warn"
        message = f"No files were found with the provided path: {value('path')}. No artifacts will be uploaded."
        if rule == "error":
            fail(message)
        if rule == "warn":
            print(f"::warning::{message}")
        return 0
    root = Path(os.path.commonpath([str(f.parent) for f in files]))
    target = folder("ARTIFACTS") / name
    if target.exists():
        if not flag("overwrite"):
            fail("Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an "
                 "artifact with this name already exists on the workflow run")
        shutil.rmtree(target)
    for file in files:
        destination = target / file.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, destination)
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    say(f"artifact {name}: {len(files)} file(s) from {root}")
    output("artifact-id", str(abs(hash(name)) % 10**8))
    output("artifact-url", f"https://github.com/{os.environ.get('GITHUB_REPOSITORY')}/actions/runs/"
                           f"{os.environ.get('GITHUB_RUN_ID')}/artifacts/{name}")
    output("artifact-digest", digest)
    return 0


def download() -> int:
    store = folder("ARTIFACTS")
    available = sorted(p.name for p in store.iterdir()) if store.exists() else []
    path = workspace() / (value("path") or ".")
    if value("name"):
        if value("name") not in available:
            fail(f"Unable to download artifact(s): Artifact not found for name: {value('name')}")
        shutil.copytree(store / value("name"), path, dirs_exist_ok=True)
    else:
        chosen = [a for a in available if not value("pattern") or fnmatch.fnmatch(a, value("pattern"))]
        for name in chosen:
            shutil.copytree(store / name, path if flag("merge-multiple") else path / name, dirs_exist_ok=True)
        say(f"downloaded {len(chosen)} artifact(s): {', '.join(chosen) or 'none'}")
    output("download-path", str(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(upload() if sys.argv[1:] == ["upload"] else download())
