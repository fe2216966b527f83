"""The tools that check YAML against its schema and style: kubernetes-validate (with the published CRD schemas
vendored in crd_schemas/ for the kinds it has none for), yamllint, check-jsonschema (compose, workflows)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

from shipform.validators.process import Missing, ToolError, environment, parse_json, run, tool
from shipform.validators.tree import Finding, Result, Tree, documents

HERE = Path(__file__).resolve().parent
CRD_SCHEMAS = HERE / "crd_schemas"
"""<group>/<kind>_<version>.json: each published CRD's schema, vendored with its source."""
YAMLLINT_CONFIG = HERE / "yamllint.yaml"
K8S_VERSIONS = ("1.30.0", "1.33.0", "1.35.0")  # 1.33.0 is the judge's
KUSTOMIZE = ("kustomize.config.k8s.io/v1beta1", "Kustomization")
"""kustomize's own file, which no API server reads: kubernetes-validate has no schema for it, nor needs one."""

_KV_NO_SCHEMA = re.compile(r"WARN (\S+) Couldn't find schema for kind (\S+) with api version (\S+) for.*")


def kubernetes_validate(tree: Tree, scratch: Path) -> Result:
    """kubernetes-validate --strict against every version in K8S_VERSIONS, through kubernetes_validate_cached
    (the tool's own CLI, reading each file and each schema once instead of once per object and version).
    Kinds it has no schema for are kept in ``no_schema``: :func:`unvalidated_kinds` and :func:`crd_schemas` take
    them on."""
    if not tree.k8s:
        return Result("kubernetes-validate", tree.name, [], skipped="no Kubernetes object")
    if importlib.util.find_spec("kubernetes_validate") is None:
        raise Missing("kubernetes-validate is not installed. Fix: pip install 'kubernetes-validate==1.37.0'")
    versions = [a for v in K8S_VERSIONS for a in ("-k", v)]
    # -P: the tree (the working folder) is not on sys.path, so no file of it can stand in for a module
    proc = run([sys.executable, "-P", "-m", "shipform.validators.kubernetes_validate_cached", "--strict", *versions,
                *(p.relative_to(tree.root) for p in tree.k8s)], tree.root, environment(scratch))
    found: list[Finding] = []
    no_schema: dict[tuple[str, str], list[str]] = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("INFO "):
            continue
        if m := _KV_NO_SCHEMA.fullmatch(line):
            files = no_schema.setdefault((m[3], m[2]), [])
            if m[1] not in files:
                files.append(m[1])
        elif line.startswith(("ERROR ", "Couldn't parse")):
            found.append(Finding("kubernetes-validate", "schema", line.split()[1] if line.startswith("ERROR") else "",
                                 line))
        elif line.strip():
            raise ToolError(f"kubernetes-validate: unexpected output: {line}\n{proc.stderr[-2000:]}")
    if proc.returncode != 0 and not found:
        raise ToolError(f"kubernetes-validate exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return Result("kubernetes-validate", tree.name, found, no_schema=no_schema)


def crd_schema(api_version: str, kind: str) -> Path | None:
    group, _, version = api_version.rpartition("/")
    path = CRD_SCHEMAS / group / f"{kind.lower()}_{version}.json"
    return path if group and path.is_file() else None


def unvalidated_kinds(result: Result) -> dict[str, list[str]]:
    """'<apiVersion>/<kind>' -> files, of the kinds neither kubernetes-validate nor a vendored CRD schema has a
    schema for (kustomize's Kustomization aside)."""
    return {f"{api}/{kind}": files for (api, kind), files in result.no_schema.items()
            if crd_schema(api, kind) is None and (api, kind) != KUSTOMIZE}


def crd_schemas(tree: Tree, scratch: Path) -> Result:
    """Every custom resource against its published CRD's schema (jsonschema, draft 7, as the API server's
    structural schema reads)."""
    if importlib.util.find_spec("jsonschema") is None:
        raise Missing("jsonschema is not installed. Fix: pip install 'jsonschema>=4'")
    from jsonschema import Draft7Validator

    found, checked = [], 0
    for path in tree.k8s:
        for obj in documents(path):
            schema = crd_schema(str(obj.get("apiVersion")), str(obj.get("kind")))
            if schema:
                checked += 1
                validator = Draft7Validator(_schema(schema))
                found += [Finding("crd-schemas", f"{obj.get('kind')}", tree.rel(path), f"{e.json_path}: {e.message}")
                          for e in validator.iter_errors(obj)]
    return Result("crd-schemas", tree.name, found, notes=[f"{checked} custom resources checked"])


_schemas: dict[Path, Any] = {}


def _schema(path: Path) -> Any:
    if path not in _schemas:
        _schemas[path] = json.loads(path.read_text())
    return _schemas[path]


_YAMLLINT_LINE = re.compile(r"(.+?):([0-9]+):([0-9]+): \[(error|warning)\] (.*?)(?: \(([\w-]+)\))?")


def yamllint(tree: Tree, scratch: Path) -> Result:
    if not tree.yamls:
        return Result("yamllint", tree.name, [], skipped="no YAML file")
    proc = run([tool("yamllint"), "-c", YAMLLINT_CONFIG, "-f", "parsable",
                *(p.relative_to(tree.root) for p in tree.yamls)], tree.root, environment(scratch))
    found = []
    for line in proc.stdout.splitlines():
        m = _YAMLLINT_LINE.fullmatch(line)
        if not m:
            raise ToolError(f"yamllint: unexpected output: {line}")
        found.append(Finding("yamllint", m[6] or "syntax", m[1], f"{m[2]}:{m[3]} [{m[4]}] {m[5]}", int(m[2])))
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not found):
        raise ToolError(f"yamllint exited {proc.returncode}: {proc.stderr[-2000:]}")
    return Result("yamllint", tree.name, found)


def _check_jsonschema(name: str, schema: str, files: list[Path], tree: Tree, scratch: Path) -> Result:
    proc = run([tool("check-jsonschema"), "-o", "json", "--builtin-schema", schema, *files], scratch,
               environment(scratch))
    report = parse_json(proc)
    found = [Finding(name, schema, tree.rel(e["filename"]), f"{e.get('path', '')}: {e['message']}")
             for e in report.get("errors") or []]
    found += [Finding(name, "parse-error", tree.rel(e.get("filename", "")), e.get("message", str(e)))
              for e in report.get("parse_errors") or []]
    return Result(name, tree.name, found)


def check_jsonschema_compose(tree: Tree, scratch: Path) -> Result:
    if not tree.compose:
        return Result("check-jsonschema-compose", tree.name, [], skipped="no compose file")
    return _check_jsonschema("check-jsonschema-compose", "vendor.compose-spec", tree.compose, tree, scratch)


def check_jsonschema_workflows(tree: Tree, scratch: Path) -> Result:
    if not tree.workflows:
        return Result("check-jsonschema-workflows", tree.name, [], skipped="no .github/workflows file")
    return _check_jsonschema("check-jsonschema-workflows", "vendor.github-workflows", tree.workflows, tree, scratch)
