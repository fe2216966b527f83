"""The tools that judge images and Kubernetes objects for security: hadolint, dockerfilelint, checkov, trivy."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Any

import yaml

from shipform.validators.process import ToolError, environment, node_tool, parse_json, run, tool
from shipform.validators.tree import Finding, Result, Tree, documents


def hadolint(tree: Tree, scratch: Path) -> Result:
    if not tree.dockerfiles:
        return Result("hadolint", tree.name, [], skipped="no Dockerfile")
    proc = run([tool("hadolint"), "--no-fail", "--no-color", "-f", "json", *tree.dockerfiles], scratch,
               environment(scratch))
    return Result("hadolint", tree.name, [Finding("hadolint", f["code"], tree.rel(f["file"]),
                                                  f"line {f['line']}: {f['message']}", f["line"])
                                          for f in parse_json(proc)])


def dockerfilelint(tree: Tree, scratch: Path) -> Result:
    if not tree.dockerfiles:
        return Result("dockerfilelint", tree.name, [], skipped="no Dockerfile")
    proc = run([*node_tool("dockerfilelint", "bin/dockerfilelint"), "-o", "json", *tree.dockerfiles], scratch,
               environment(scratch))
    report = parse_json(proc)
    found = [Finding("dockerfilelint", i["title"], tree.rel(f["file"]), f"line {i['line']}: {i['description']}",
                     int(i["line"]))
             for f in report["files"] for i in f["issues"]]
    assert len(found) == sum(f["issues_count"] for f in report["files"])
    return Result("dockerfilelint", tree.name, found)


def checkov(tree: Tree, scratch: Path) -> Result:
    proc = run([tool("checkov"), "-d", tree.root, "--framework", "kubernetes", "dockerfile", "github_actions",
                "--skip-download", "--quiet", "-o", "json"], scratch, environment(scratch))
    reports = parse_json(proc)
    reports = reports if isinstance(reports, list) else [reports]
    found, notes = [], []
    for r in reports:
        results = r.get("results") or {}
        for c in results.get("failed_checks") or []:
            lines = c.get("file_line_range") or [None]
            found.append(Finding("checkov", c["check_id"], c["file_path"].lstrip("/"),
                                 f"{c['resource']}: {c['check_name']}", lines[0] or None))
        for p in results.get("parsing_errors") or []:
            found.append(Finding("checkov", "parsing-error", tree.rel(p), "checkov could not parse the file"))
        if "check_type" in r:
            s = r["summary"]
            notes.append(f"{r['check_type']}: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped")
    return Result("checkov", tree.name, found, notes=notes)


def trivy_accepted(root: Path) -> list[tuple[Path, str, list[str]]]:
    """(folder, id, path globs) of every .trivyignore.yaml misconfiguration entry that states why (a non-empty
    ``statement``); entries without one are not honoured (the judge's rule)."""
    accepted = []
    for f in sorted(root.rglob(".trivyignore.yaml")):
        try:
            entries = (yaml.safe_load(f.read_text()) or {}).get("misconfigurations") or []
        except (yaml.YAMLError, AttributeError):
            entries = []
        for e in entries:
            if isinstance(e, dict) and str(e.get("statement") or "").strip():
                accepted.append((f.parent, str(e.get("id")), [str(g) for g in e.get("paths") or ["*"]]))
    return accepted


def _namespace_guards(tree: Tree) -> tuple[dict[str, set[tuple[str, str | None]]], dict[Path, list[dict[str, Any]]]]:
    """(folder, namespace) pairs that hold a LimitRange with defaults (KSV-0039) or a ResourceQuota (KSV-0040),
    and the parsed documents of each Kubernetes file."""
    have: dict[str, set[tuple[str, str | None]]] = {"KSV-0039": set(), "KSV-0040": set()}
    docs_of: dict[Path, list[dict[str, Any]]] = {}
    for p in tree.k8s:
        docs_of[p] = docs = documents(p)
        for o in docs:
            ns = (o.get("metadata") or {}).get("namespace")
            spec = o.get("spec") or {}
            if o.get("kind") == "LimitRange" and any(
                    lim.get("default") and lim.get("defaultRequest") for lim in spec.get("limits") or []):
                have["KSV-0039"].add((str(p.parent), ns))
            if o.get("kind") == "ResourceQuota" and spec.get("hard"):
                have["KSV-0040"].add((str(p.parent), ns))
    return have, docs_of


def trivy_count(report: dict[str, Any], tree: Tree) -> tuple[list[Finding], int, int]:
    """The findings the judge counts, plus how many namespace-level findings the same folder meets and how
    many a .trivyignore.yaml entry accepts with a statement.

    trivy reads one file at a time, so KSV-0039 / KSV-0040 ("the namespace needs a LimitRange with default
    limits / a ResourceQuota") fire for every object; the judge does not count them for an object whose folder
    holds such a LimitRange / ResourceQuota for the object's namespace, and neither does this."""
    have, docs_of = _namespace_guards(tree)
    accepted = trivy_accepted(tree.root)
    found, cross, acc = [], 0, 0
    for r in report.get("Results") or []:
        target = tree.root / r.get("Target", "")
        for m in r.get("Misconfigurations") or []:
            mid = m.get("ID")
            if mid in have:
                docs = docs_of.get(target)
                if docs is None:
                    docs = documents(target)
                ns = next(((d.get("metadata") or {}).get("namespace") for d in docs), None)
                if (str(target.parent), ns) in have[mid]:
                    cross += 1
                    continue
            if any(mid == i and any(fnmatch.fnmatch(os.path.relpath(target, base), g) for g in globs)
                   for base, i, globs in accepted):
                acc += 1
                continue
            line = (m.get("CauseMetadata") or {}).get("StartLine") or None
            found.append(Finding("trivy", mid, tree.rel(target), m.get("Message") or m.get("Title") or "", line))
    return found, cross, acc


def trivy(tree: Tree, scratch: Path) -> Result:
    if not (tree.dockerfiles or tree.k8s):
        return Result("trivy", tree.name, [], skipped="no Dockerfile and no Kubernetes object")
    ignorefile = scratch / "empty.trivyignore"  # trivy's own ignore files are not read: trivy_count reads them
    ignorefile.touch()
    cache = scratch / f"trivy-cache-{re.sub(r'[^a-z0-9]+', '-', tree.name.lower())}"
    proc = run([tool("trivy"), "config", "--skip-check-update", "--skip-version-check", "--disable-telemetry",
                "--quiet", "--misconfig-scanners", "dockerfile,kubernetes", "-f", "json", "--exit-code", "0",
                "--cache-dir", cache, "--ignorefile", ignorefile, tree.root],
               scratch, environment(scratch))
    if proc.returncode != 0:
        raise ToolError(f"trivy exited {proc.returncode}: {proc.stderr[-3000:]}")
    found, cross, acc = trivy_count(parse_json(proc), tree)
    return Result("trivy", tree.name, found, notes=[
        f"not counted: {cross} namespace-level findings met in the same folder, "
        f"{acc} accepted with a statement in .trivyignore.yaml"])
