"""``<app>-patch.yaml``: on a schedule (``App(patch_schedule=...)``, weekly by default) and by hand, from the
default branch only. Two things, side by side:

- **Refresh**: ``shipform lock`` re-resolves every pinned third-party digest (and the generated Dockerfiles'
  bases, where the lock has them), then synth; when the lock or the output changed, one branch
  (``shipform/patch-<app>``, force-updated each run) and one pull request, opened or updated, with what changed.
  Merging it is what rebuilds: the build's inputs include each Dockerfile's blob, so exactly the images whose
  Dockerfile changed are built again.
- **Rescan**: trivy image on every digest the lock pins for any Environment, failing on fixable criticals, each
  digest in its own matrix job (one failing stops none of the others); the summary (image, Environments, result)
  goes to the job summary and into the pull request's body.

Pushed with a GitHub App's token the pull request gets its own CI; with the workflow's own token it would not, so
CI then runs here on the patch commit and reports as commit statuses, as the promotion does."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.actions import Step, uses
from shipform.render.output import Context
from shipform.render.registries import login_steps, registry_permissions, uses_cloud_identity, uses_secrets
from shipform.render.workflow_build import TRIVY_VERSION
from shipform.render.workflow_common import (
    APP_TOKEN_STEP,
    RELEASE_ENVIRONMENT,
    TOKEN,
    Job,
    app_token,
    checkout,
    job,
    repository_env,
    setup_python,
    workflow,
)
from shipform.render.workflow_patch_scripts import IMAGES, PUBLISH, REFRESH, SCANNED
from shipform.render.workflow_promote import ci_jobs

SCAN_JOB = "scan"
"""The job that logs in to the App's registry with the read identity (render/trust.py names it)."""


def patch_branch(app: spec.App) -> str:
    return f"shipform/patch-{app.name}"


def patch(app: spec.App, context: Context, checks: list[str]) -> dict[str, Any] | None:
    """The patch workflow of an App that runs any image; ``checks`` are the names of CI's jobs."""
    if not any(env.images() for env in app.environments):
        return None
    default = f"github.ref == 'refs/heads/{context.branch}'"
    jobs: dict[str, Job] = {
        "images": job("The digests every Environment runs", [checkout(), {
            "name": "Read them from the lock file", "id": "images", "run": IMAGES,
            "env": {"LOCK": context.lock_file}}], {"contents": "read"}, 5, **{
            "if": default, "outputs": {"matrix": "${{ steps.images.outputs.matrix }}",
                                       "count": "${{ steps.images.outputs.count }}"}}),
        SCAN_JOB: scan_job(app, default),
        "refresh": job("Re-resolve the pinned digests", refresh_steps(app, context), {"contents": "read"}, 20,
                       **{"if": default, "outputs": {"prepared": "${{ steps.refresh.outputs.prepared }}"}}),
        "publish": publish_job(app, context),
        **ci_jobs(app, checks, "publish", "patch"),
    }
    on = {"schedule": [{"cron": app.patch_schedule}], "workflow_dispatch": {}}
    return workflow(f"{app.name} patch", on, jobs, "${{ github.workflow }}")


def scan_job(app: spec.App, default: str) -> Job:
    """One job per digest (``fail-fast: false``: a failing scan stops none of the others), logged in to the App's
    registry as the read identity, from the default branch only (``default``: the condition)."""
    steps: list[Step] = [
        *login_steps(app.registry, "read"),
        {"name": "trivy image: fail on fixable critical vulnerabilities", "id": "scan", **uses(
            "trivy", **{"scan-type": "image", "image-ref": "${{ matrix.image }}", "severity": "CRITICAL",
                        "ignore-unfixed": True, "exit-code": "1", "version": TRIVY_VERSION})},
        {"name": "The result, for the summary", "if": "${{ !cancelled() }}", "run": SCANNED, "env": {
            "IMAGE": "${{ matrix.image }}", "ENVIRONMENTS": "${{ matrix.environments }}",
            "OUTCOME": "${{ steps.scan.outcome }}", "INDEX": "${{ matrix.index }}"}},
        {"name": "Hand the result to the publish job", "if": "${{ !cancelled() }}", **uses(
            "upload-artifact", name="scan-${{ matrix.index }}", path="${{ runner.temp }}/scan/",
            **{"retention-days": 1, "if-no-files-found": "error"})},
    ]
    extra: dict[str, Any] = {
        "needs": "images", "if": f"{default} && needs.images.outputs.count != '0'",
        "strategy": {"fail-fast": False, "matrix": "${{ fromJSON(needs.images.outputs.matrix) }}"}}
    if uses_secrets(app.registry) or uses_cloud_identity(app.registry):
        extra["environment"] = RELEASE_ENVIRONMENT
    return job("Rescan ${{ matrix.image }}", steps, registry_permissions(app.registry, push=False), 20, **extra)


def refresh_steps(app: spec.App, context: Context) -> list[Step]:
    return [checkout(), *setup_python(context),
            {"name": "Re-resolve the digests and synthesize", "id": "refresh", "run": REFRESH,
             "env": {**repository_env(context), "APP": app.name, "PATCH_BRANCH": patch_branch(app)}},
            {"name": "Hand the commit to the publish job", "if": "steps.refresh.outputs.prepared != ''", **uses(
                "upload-artifact", name="patch", path="${{ runner.temp }}/patch/",
                **{"retention-days": 1, "if-no-files-found": "error"})}]


def publish_job(app: spec.App, context: Context) -> Job:
    """The summary, and the push and pull request: holds the token, runs nothing of the app (no checkout)."""
    prepared = "needs.refresh.outputs.prepared"
    steps: list[Step] = [
        app_token(),
        {"name": "Download the commit", "if": f"{prepared} != ''", **uses(
            "download-artifact", name="patch", path="${{ runner.temp }}/patch")},
        {"name": "Download the scans' results", **uses(
            "download-artifact", pattern="scan-*", path="${{ runner.temp }}/scans", **{"merge-multiple": True})},
        {"name": "Summary; push the patch branch and open or update its pull request", "id": "publish",
         "run": PUBLISH, "env": {
             "APP": app.name, "BRANCH": context.branch, "PATCH_BRANCH": patch_branch(app),
             "COMMIT": f"${{{{ {prepared} }}}}", "COUNT": "${{ needs.images.outputs.count }}",
             "SCAN": f"${{{{ needs.{SCAN_JOB}.result }}}}", "GH_TOKEN": TOKEN}},
    ]
    return job("Summary and pull request", steps, {"contents": "write", "pull-requests": "write"}, 10, **{
        "needs": ["images", SCAN_JOB, "refresh"],
        # The summary and the pull request whatever the scans found; nothing without a refresh to publish.
        "if": "${{ !cancelled() && needs.refresh.result == 'success' }}", "environment": RELEASE_ENVIRONMENT,
        "outputs": {"commit": "${{ steps.publish.outputs.commit }}",
                    "via-app": f"${{{{ steps.{APP_TOKEN_STEP}.outcome }}}}"}})
