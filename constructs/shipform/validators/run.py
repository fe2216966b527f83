"""Every validator over one output folder: which tools, in which order, and what counts as a failure."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from shipform.validators import compose, images, manifests, process, workflows
from shipform.validators.accepted import accepted_because
from shipform.validators.process import Missing, ToolError
from shipform.validators.tree import Finding, Result, Tree, classify

Runner = Callable[[Tree, Path], Result]
RUNNERS: dict[str, Runner] = {
    "hadolint": images.hadolint, "dockerfilelint": images.dockerfilelint, "checkov": images.checkov,
    "trivy": images.trivy, "kubernetes-validate": manifests.kubernetes_validate, "yamllint": manifests.yamllint,
    "check-jsonschema-compose": manifests.check_jsonschema_compose,
    "check-jsonschema-workflows": manifests.check_jsonschema_workflows,
    "docker-compose-config": compose.docker_compose_config, "compose-lint": compose.compose_lint,
    "dclint": compose.dclint, "actionlint": workflows.actionlint, "zizmor": workflows.zizmor,
    "crd-schemas": manifests.crd_schemas,
}
TOOLS = tuple(RUNNERS)
# Slowest first, so the long runs start first.
ORDER = ("trivy", "checkov", "kubernetes-validate", "yamllint", "hadolint", "dclint", "check-jsonschema-compose",
         "compose-lint", "docker-compose-config", "dockerfilelint", "check-jsonschema-workflows", "actionlint",
         "zizmor", "crd-schemas")
assert sorted(ORDER) == sorted(TOOLS)


def run_tool(tool: str, tree: Tree, scratch: Path) -> Result:
    """One tool over one tree; a tool that is not installed is skipped, saying how to install it."""
    started = time.monotonic()
    try:
        result = RUNNERS[tool](tree, scratch)
    except Missing as err:
        return Result(tool, tree.name, [], skipped=str(err), missing=True)
    if tool == "kubernetes-validate":  # a kind nothing has a schema for is not validated: a finding too
        result.findings += [Finding(tool, "no-schema", path, f"no schema for {kind}: neither kubernetes-validate "
                                    "nor a vendored CRD schema has one") for kind, paths in
                            manifests.unvalidated_kinds(result).items() for path in paths]
    result.seconds = time.monotonic() - started
    return result


@dataclass
class Outcome:
    """One tool's verdict on one folder: its run (or the error that stopped it) and which findings count."""

    folder: Path
    result: Result
    error: str | None = None

    @property
    def failing(self) -> list[Finding]:
        return sorted(f for f in self.result.findings if accepted_because(f) is None)

    @property
    def accepted(self) -> list[tuple[Finding, str]]:
        return [(f, why) for f in sorted(self.result.findings) if (why := accepted_because(f)) is not None]

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.failing)


def validate(folders: list[Path], workers: int | None = None) -> list[Outcome]:
    """Every tool over every folder (each folder one tree, named by its path), a few runs at a time. Interrupted
    (Ctrl-C), it kills the tools still running: they run in process groups of their own, which the terminal's
    signal does not reach."""
    trees = [classify(str(folder), folder.resolve()) for folder in folders]  # the tools run in a scratch folder
    pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1))
    try:
        with tempfile.TemporaryDirectory(prefix="shipform-validate-") as scratch:
            jobs = [(tree, tool, pool.submit(run_tool, tool, tree, Path(scratch))) for tree in trees for tool in ORDER]
            return [_outcome(tree, tool, job) for tree, tool, job in jobs]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        process.close_all()
        pool.shutdown(wait=True)
        process.reopen()
        raise
    finally:
        pool.shutdown(wait=True)


def _outcome(tree: Tree, tool: str, job: Future[Result]) -> Outcome:
    try:
        return Outcome(Path(tree.name), job.result())
    except ToolError as err:
        return Outcome(Path(tree.name), Result(tool, tree.name, []), error=str(err))
    except Exception as err:  # a report of a shape the parser does not know: the tool did not judge
        return Outcome(Path(tree.name), Result(tool, tree.name, []),
                       error=f"{tool}: its report could not be read ({type(err).__name__}: {err})")
