"""SARIF 2.1.0 (OASIS) of a validation: one run per tool, one result per finding with its rule id, message, file
and line when the tool gives one; accepted findings carry a suppression with the reason, a tool that did not run
says why in its invocation. Paths are relative to the working folder when inside it (code scanning services
resolve them from the repository root), else file URIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipform.validators.accepted import accepted_because
from shipform.validators.run import ORDER, Outcome
from shipform.validators.tree import Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION = {
    "hadolint": "https://github.com/hadolint/hadolint", "dockerfilelint": "https://github.com/replicatedhq/dockerfilelint",
    "checkov": "https://www.checkov.io", "trivy": "https://trivy.dev", "yamllint": "https://yamllint.readthedocs.io",
    "kubernetes-validate": "https://github.com/willthames/kubernetes-validate",
    "check-jsonschema-compose": "https://check-jsonschema.readthedocs.io",
    "check-jsonschema-workflows": "https://check-jsonschema.readthedocs.io",
    "docker-compose-config": "https://docs.docker.com/reference/cli/docker/compose/config/",
    "compose-lint": "https://github.com/tmatens/compose-lint", "dclint": "https://github.com/zavoloklom/docker-compose-linter",
    "actionlint": "https://github.com/rhysd/actionlint", "zizmor": "https://docs.zizmor.sh",
    "crd-schemas": "https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/",
}


def uri(path: Path) -> str:
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_uri()


def _result(folder: Path, finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": uri(folder / finding.path) if finding.path
                                                     else uri(folder)}}
    if finding.line is not None and finding.line >= 1:
        location["region"] = {"startLine": finding.line}
    result: dict[str, Any] = {"ruleId": finding.check, "level": "error", "message": {"text": finding.message},
                              "locations": [{"physicalLocation": location}]}
    why = accepted_because(finding)
    if why is not None:
        result["suppressions"] = [{"kind": "external", "justification": why}]
    return result


def _run(tool: str, outcomes: list[Outcome]) -> dict[str, Any]:
    results = [_result(o.folder, f) for o in outcomes for f in sorted(o.result.findings)]
    notes = [{"message": {"text": f"{o.folder}: {o.error or o.result.skipped}"},
              "level": "error" if o.error or o.result.missing else "note"}
             for o in outcomes if o.error or o.result.skipped]
    rules = sorted({r["ruleId"] for r in results})
    return {
        "tool": {"driver": {"name": tool, "informationUri": INFORMATION[tool], "rules": [{"id": r} for r in rules]}},
        "invocations": [{"executionSuccessful": not any(o.error or o.result.missing for o in outcomes),
                         "toolExecutionNotifications": notes}],
        "results": results,
    }


def sarif(outcomes: list[Outcome]) -> dict[str, Any]:
    by_tool = {tool: [o for o in outcomes if o.result.tool == tool] for tool in ORDER}
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [_run(tool, found) for tool, found in by_tool.items() if found]}
