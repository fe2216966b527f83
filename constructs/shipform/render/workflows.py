"""GitHub Actions workflows, as data: CI on every pull request (and called by the build and the promotion, so
all three run the same checks), build (scan, push, sign, attest, record the digests) on the default branch and
on release tags, promotion of verified digests from one Environment to the next as a pull request, and deploys
for Environments without a GitOps controller. Hardened: every action pinned by commit SHA, ``permissions: {}``
at the top and least privilege per job, no credentials persisted in a checkout, concurrency groups, timeouts,
and no expression inside a ``run:`` script (values reach scripts through ``env:``). How the loop works and why:
docs/release-loop.md."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.actions import uses
from shipform.render.output import Context
from shipform.render.workflow_build import TRIVY_VERSION, build
from shipform.render.workflow_cleanup import REASONS as CLEANUP_REASONS
from shipform.render.workflow_cleanup import cleanup
from shipform.render.workflow_common import (
    WORKFLOWS_DIR,
    built_images,
    checkout,
    data,
    job,
    setup_python,
    synth_command,
    with_local_calls,
    with_reasons,
    with_versions,
    workflow,
)
from shipform.render.workflow_deploy import deploys
from shipform.render.workflow_lock import lock_trust, read_secrets
from shipform.render.workflow_patch import patch
from shipform.render.workflow_promote import promotions
from shipform.write.yaml_dump import dump

__all__ = ["WORKFLOWS_DIR", "ci", "files"]

REF = "${{ inputs.ref }}"
"""The commit CI checks: the caller's (the promotion's commit) or, when empty, the one that started the run."""


def ci(app: spec.App, context: Context) -> dict[str, Any]:
    out = context.repository_path
    check = [checkout(REF), *setup_python(context, cache=True),
             {"name": "The committed output is what the app synthesizes", "run": synth_command(context, "--check")}]
    if context.tests:
        check.append({"name": "Tests", "run": "python -m pytest"})
    lint = [checkout(REF), *({"name": f"hadolint {b.dockerfile}", **uses("hadolint", dockerfile=b.dockerfile)}
                             for b in built_images(app, context))]
    scan = [checkout(REF), {"name": "trivy config on the output", **uses(
        "trivy", **{"scan-type": "config", "scan-ref": out, "exit-code": "1", "version": TRIVY_VERSION,
                    "trivyignores": f"{out}/.trivyignore.yaml"})}]
    jobs = {"check": job(f"{app.name}: synth check and tests", check, {"contents": "read"})}
    if len(lint) > 1:
        jobs["dockerfiles"] = job(f"{app.name}: hadolint", lint, {"contents": "read"})
    jobs["config"] = job(f"{app.name}: trivy config", scan, {"contents": "read"})
    jobs["lock-trust"] = lock_trust(app, context, REF)
    on = {"pull_request": {}, "workflow_call": {"inputs": {"ref": {
        "description": "The commit to check (default: the one that started the calling workflow)",
        "type": "string", "required": False, "default": ""}}}}
    if read_secrets(app):  # the lock trust job's registry login, passed by the workflows that call CI
        on["workflow_call"]["secrets"] = {name: {"required": False} for name in read_secrets(app)}
    # Called by another workflow, github.workflow is the caller's: the group never meets the caller's own.
    return workflow(f"{app.name} CI", on, jobs, "${{ github.workflow }}-ci-${{ github.ref }}")


def check_names(doc: dict[str, Any]) -> list[str]:
    """The names CI's jobs report as checks on a pull request (what branch protection requires)."""
    return [job["name"] for job in doc["jobs"].values()]


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``.github/workflows/<app>-<name>.yaml`` under the app's output; the pipeline moves them to the
    repository's own .github/workflows/ unless the App keeps them in its output."""
    data(f"{app.name}: the app file", context.app_file)
    data(f"{app.name}: the output folder", context.repository_path)
    data(f"{app.name}: the lock file", context.lock_file)
    for image in built_images(app, context):
        data(f"{app.name}: the build context of {image.name}", image.context)
        data(f"{app.name}: the Dockerfile of {image.name}", image.dockerfile)
    checks = ci(app, context)
    built = build(app, context)
    docs = {"ci": checks, "build": built, **promotions(app, context, check_names(checks)),
            **deploys(app, context, built is not None), "cleanup": cleanup(app, context),
            "patch": patch(app, context, check_names(checks))}
    result: dict[str, str] = {}
    for name, doc in docs.items():
        if doc is not None:
            result[f"{WORKFLOWS_DIR}/{app.name}-{name}.yaml"] = context.marker + with_local_calls(
                with_reasons(with_versions(dump(doc)), CLEANUP_REASONS if name == "cleanup" else None))
    return result
