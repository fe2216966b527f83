"""``<app>-promote-<from>-to-<to>.yaml``: started by hand, from the default branch only. It verifies the signature
and build provenance of each digest the source Environment runs, copies them to the next Environment with
`shipform promote`, and opens (or updates) a pull request from branch ``promote/<from>-to-<to>``. Nothing new
to promote ends green with a message. Pushed with a GitHub App's token, the pull request's own CI runs; with
the workflow's own token it would not, so the promotion then runs CI itself on the promotion commit and reports
the result as a commit status under each CI job's name. No dispatch inputs: nothing typed at dispatch time
reaches the build (SLSA: checkov CKV_GHA_7)."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.actions import uses
from shipform.render.output import Context
from shipform.render.registries import login_steps, registry_permissions
from shipform.render.workflow_common import (
    APP_TOKEN_STEP,
    RELEASE_ENVIRONMENT,
    RUNNER,
    TOKEN,
    WORKFLOWS_DIR,
    Job,
    app_token,
    built_images,
    checkout,
    job,
    repository_env,
    runs_built,
    setup_python,
    workflow,
)
from shipform.render.workflow_lock import ci_permissions, passed_secrets
from shipform.render.workflow_scripts import PROMOTE, PUBLISH, REPORT, VERIFY


def promotions(app: spec.App, context: Context, checks: list[str]) -> dict[str, dict[str, Any]]:
    """One workflow per promotion (``App.promotions``: dev -> staging -> prod). ``checks`` are the names of CI's
    jobs, the checks a pull request reports."""
    return {f"promote-{source.name}-to-{target.name}": promote(app, context, source, target, checks)
            for source, target in app.promotions}


def promote(app: spec.App, context: Context, source: spec.Environment, target: spec.Environment,
            checks: list[str]) -> dict[str, Any]:
    names = {"FROM": source.name, "TO": target.name, "BRANCH": context.branch, "APP": app.name}
    repositories = runs_built(target, built_images(app, context))
    steps = [checkout(), app_token(), *setup_python(context)]
    if repositories:
        steps += [*login_steps(app.registry, "read"), {"name": "Install cosign", **uses("cosign-installer")},
                  {"name": f"Verify the signature and provenance of what {source.name} runs", "run": VERIFY,
                   "env": {**names, "LOCK": context.lock_file, "REPOSITORIES": "\n".join(repositories),
                           "WORKFLOW": f"{WORKFLOWS_DIR}/{app.name}-build.yaml",
                           "VISIBILITY": "${{ github.event.repository.visibility }}",
                           "GH_TOKEN": "${{ github.token }}"}}]
    # The step that runs the app file holds no token; the one that pushes and opens the pull request runs none of it.
    steps += [{"name": f"Promote {source.name} to {target.name}", "id": "promote", "run": PROMOTE,
               "env": {**repository_env(context), **names}},
              {"name": "Push the promotion and open a pull request", "id": "publish",
               "if": "steps.promote.outputs.prepared != ''", "run": PUBLISH,
               "env": {**names, "COMMIT": "${{ steps.promote.outputs.prepared }}", "GH_TOKEN": TOKEN}}]
    permissions = {"contents": "write", "pull-requests": "write",
                   **(registry_permissions(app.registry, push=False) if repositories else {})}
    jobs = {
        "promote": job(f"Promote {source.name} to {target.name}", steps, permissions, 15, **{
            "if": f"github.ref == 'refs/heads/{context.branch}'", "environment": RELEASE_ENVIRONMENT,
            "outputs": {"commit": "${{ steps.publish.outputs.commit }}",
                        "via-app": f"${{{{ steps.{APP_TOKEN_STEP}.outcome }}}}"}}),
        # The pull request's own CI does not run when the workflow's token pushed it: CI runs here instead.
        **ci_jobs(app, checks, "promote", "promotion"),
    }
    return workflow(f"{app.name} promote {source.name} to {target.name}", {"workflow_dispatch": {}}, jobs,
                    "${{ github.workflow }}")


def ci_jobs(app: spec.App, checks: list[str], pushed_by: str, what: str) -> dict[str, Job]:
    """CI on the commit the job ``pushed_by`` pushed when the workflow's own token pushed it (that push starts no
    workflow), reported as commit statuses under CI's check names; ``what`` names the commit (promotion, patch).
    CI gets what its lock trust job needs (its registry's read permissions and secrets)."""
    commit = f"${{{{ needs.{pushed_by}.outputs.commit }}}}"
    secrets = passed_secrets(app)
    return {
        "ci": {"name": "CI", "needs": pushed_by,
               "if": f"needs.{pushed_by}.outputs.commit != '' && needs.{pushed_by}.outputs.via-app != 'success'",
               "uses": f"./{WORKFLOWS_DIR}/{app.name}-ci.yaml", "with": {"ref": commit},
               "permissions": ci_permissions(app), **({"secrets": secrets} if secrets else {})},
        "report": {"name": f"Report CI on the {what} commit", "runs-on": RUNNER, "timeout-minutes": 5,
                   "needs": [pushed_by, "ci"], "if": "${{ !cancelled() && needs.ci.result != 'skipped' }}",
                   "permissions": {"statuses": "write"}, "steps": [{
                       "name": "Commit statuses under CI's check names", "run": REPORT, "env": {
                           "STATE": "${{ needs.ci.result == 'success' && 'success' || 'failure' }}",
                           "SHA": commit, "CHECKS": "\n".join(checks),
                           "DESCRIPTION": f"CI of the {what}, run by the {what} workflow",
                           "GH_TOKEN": "${{ github.token }}"}}]},
    }
