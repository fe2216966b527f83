"""The tools that judge GitHub Actions workflows: actionlint (with shellcheck), zizmor."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from shipform.validators.process import environment, parse_json, run, tool
from shipform.validators.tree import Finding, Result, Tree


def actionlint(tree: Tree, scratch: Path) -> Result:
    if not tree.workflows:
        return Result("actionlint", tree.name, [], skipped="no .github/workflows file")
    tool("shellcheck")
    # actionlint resolves `uses: ./.github/workflows/...` from the repository root it finds above its working
    # folder (the nearest .git): the tree is judged as the root of a repository of its own, as GitHub would run it.
    project = scratch / f"actionlint-{re.sub(r'[^a-z0-9]+', '-', tree.name.lower())}"
    shutil.rmtree(project, ignore_errors=True)
    for path in tree.workflows:
        copy = project / path.relative_to(tree.root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    (project / ".git").mkdir()
    proc = run([tool("actionlint"), "-no-color", "-format", "{{json .}}",
                *(p.relative_to(tree.root) for p in tree.workflows)], project, environment(scratch))
    return Result("actionlint", tree.name, [
        Finding("actionlint", e["kind"], Path(e["filepath"]).as_posix().removeprefix(f"{project.as_posix()}/"),
                f"line {e['line']}: {e['message']}", e["line"])
        for e in parse_json(proc, empty=[]) or []])


def zizmor(tree: Tree, scratch: Path) -> Result:
    if not tree.workflows:
        return Result("zizmor", tree.name, [], skipped="no .github/workflows file")
    proc = run([tool("zizmor"), "--offline", "--no-exit-codes", "--format", "json", *tree.workflows], scratch,
               environment(scratch))
    found = []
    for f in parse_json(proc, empty=[]):
        loc: dict[str, Any] = next(iter(f.get("locations") or []), {})
        path = (((loc.get("symbolic") or {}).get("key") or {}).get("Local") or {}).get("verbatim_path", "")
        row = (((loc.get("concrete") or {}).get("location") or {}).get("start_point") or {}).get("row")
        found.append(Finding("zizmor", f["ident"], tree.rel(path), f.get("desc", ""),
                             row + 1 if isinstance(row, int) else None))
    for line in proc.stderr.splitlines():
        if "failed to validate" in line:  # zizmor audits no schema-invalid workflow: that is a finding too
            found.append(Finding("zizmor", "schema-invalid", "", line.strip()))
    return Result("zizmor", tree.name, found)
