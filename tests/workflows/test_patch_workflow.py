"""The patch workflow (``<app>-patch.yaml``): on its schedule and by hand, from the default branch only; the refresh
runs the app without a token and hands its commit over; the rescan runs trivy image on every digest the lock pins,
failing on fixable criticals, one matrix job per digest, logged in read-only; one job, holding the token and
running nothing of the app, pushes the one patch branch and opens or updates its one pull request."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import DIST, exec_app, write_sources
from shipform.render.workflow_patch_scripts import IMAGES
from shipform.synth.pipeline import render
from workflows.steps import run_script
from workflows.test_tokens import RUNS_THE_APP
from workflows.test_workflows import REGISTRIES, load

PATCH = DIST / "shop" / ".github" / "workflows" / "shop-patch.yaml"
MAIN = "github.ref == 'refs/heads/main'"


def by_name(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name or s.get("id") == name)


def test_it_runs_weekly_and_by_hand_from_the_default_branch_only():
    doc = load(PATCH)
    assert doc["on"] == {"schedule": [{"cron": "23 4 * * 1"}], "workflow_dispatch": {}}  # no dispatch inputs
    assert doc["permissions"] == {} and doc["concurrency"] == {"group": "${{ github.workflow }}",
                                                             "cancel-in-progress": False}
    jobs = doc["jobs"]
    assert jobs["images"]["if"] == MAIN and jobs["refresh"]["if"] == MAIN
    assert jobs["scan"]["if"].startswith(MAIN + " && ")
    assert jobs["publish"]["needs"] == ["images", "scan", "refresh"]  # the others wait for the default branch's


def test_each_job_holds_only_what_it_needs():
    jobs = load(PATCH)["jobs"]
    assert {job_id: job["permissions"] for job_id, job in jobs.items()} == {
        "images": {"contents": "read"}, "scan": {"packages": "read"}, "refresh": {"contents": "read"},
        "publish": {"contents": "write", "pull-requests": "write"},
        "ci": {"contents": "read", "packages": "read"},  # what CI's lock trust job reads
        "report": {"statuses": "write"}}
    assert all(job.get("timeout-minutes", 0) <= 20 for job in jobs.values() if "steps" in job)


def test_the_rescan_fails_on_fixable_criticals_and_scans_every_digest_even_when_one_fails():
    scan = load(PATCH)["jobs"]["scan"]
    assert scan["strategy"] == {"fail-fast": False, "matrix": "${{ fromJSON(needs.images.outputs.matrix) }}"}
    trivy = by_name(scan, "scan")
    assert trivy["uses"].startswith("aquasecurity/trivy-action@")
    assert trivy["with"] | {"version": None} == {
        "scan-type": "image", "image-ref": "${{ matrix.image }}", "severity": "CRITICAL", "ignore-unfixed": True,
        "exit-code": "1", "version": None}
    # Its result reaches the summary whatever it was.
    for name in ("The result, for the summary", "Hand the result to the publish job"):
        assert by_name(scan, name)["if"] == "${{ !cancelled() }}"
    assert by_name(scan, "The result, for the summary")["env"]["OUTCOME"] == "${{ steps.scan.outcome }}"
    # GHCR read-only: the workflow's token with packages: read, never a registry secret.
    login = by_name(scan, "Log in to GHCR")
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}" and "environment" not in scan


@pytest.mark.parametrize(("registry", "kind", "actions"), REGISTRIES, ids=[r[1] for r in REGISTRIES])
def test_the_rescan_logs_in_read_only_to_every_kind_of_registry(tmp_path, registry, kind, actions):
    write_sources(tmp_path)
    source = (f'from shipform import *\napp = App("shop", registry={registry!r})\n'
              'dev = Environment(app, "dev", local=True)\n'
              'WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)\n')
    scan = yaml.safe_load(render(exec_app(source, tmp_path), tmp_path / "out")[".github/workflows/shop-patch.yaml"])[
        "jobs"]["scan"]
    text = yaml.safe_dump(scan)
    assert "PUSH" not in text and "DEPLOY" not in text and "packages: write" not in text
    if kind in ("ecr", "gcp", "acr"):
        assert scan["permissions"] == {"id-token": "write"} and scan["environment"] == "release"
        assert "_READ_" in text
    elif kind == "ghcr":
        assert scan["permissions"] == {"packages": "read"}
    else:
        assert scan["permissions"] == {} and scan["environment"] == "release"


def test_the_refresh_runs_the_app_without_a_token_and_commits_only_the_lock_and_the_output():
    refresh = load(PATCH)["jobs"]["refresh"]
    step = by_name(refresh, "refresh")
    assert not any("token" in str(v).lower() or "secrets." in str(v) for v in step["env"].values())
    assert 'shipform lock "$APP_FILE"' in step["run"] and 'shipform synth "$APP_FILE"' in step["run"]
    assert 'git add -- "$OUTPUT"' in step["run"] and 'git add -- "$LOCK"' in step["run"]
    assert step["env"]["PATCH_BRANCH"] == "shipform/patch-shop"
    assert all(s["with"]["persist-credentials"] is False for s in refresh["steps"]
               if s.get("uses", "").startswith("actions/checkout@"))


def test_one_job_pushes_and_opens_or_updates_the_one_pull_request_running_nothing_of_the_app():
    publish = load(PATCH)["jobs"]["publish"]
    assert not any(s.get("uses", "").startswith(("actions/checkout@", "actions/setup-python@"))
                   for s in publish["steps"])
    step = by_name(publish, "publish")
    run = step["run"]
    assert not RUNS_THE_APP.search(run)
    assert step["env"]["GH_TOKEN"] == "${{ steps.app-token.outputs.token || github.token }}"
    # the open pull request of the branch is looked up first: edited, never a second one created
    assert run.index("gh pr list") < run.index("gh pr edit") < run.index("gh pr create")
    assert 'authorized push --quiet --force "$remote" "$COMMIT:refs/heads/$PATCH_BRANCH"' in run
    assert 'git --git-dir="$clean" -c core.hooksPath=/dev/null' in run
    assert publish["if"] == "${{ !cancelled() && needs.refresh.result == 'success' }}"
    assert publish["environment"] == "release"  # the App's key is a secret
    # The workflow's token starts no CI on the pull request: CI then runs here and reports under its check names.
    jobs = load(PATCH)["jobs"]
    assert jobs["ci"]["if"] == "needs.publish.outputs.commit != '' && needs.publish.outputs.via-app != 'success'"
    assert jobs["report"]["steps"][0]["env"]["CHECKS"].splitlines() == [
        "shop: synth check and tests", "shop: hadolint", "shop: trivy config", "shop: lock trust"]


def test_the_scan_list_is_every_pinned_digest_once_with_the_environments_that_run_it(tmp_path):
    digest = {n: "sha256:" + n * 64 for n in "abc"}
    lock = {"note": "", "environments": {
        "dev": {"postgres:16.6-bookworm": digest["a"], "ghcr.io/acme/shop-api:sha-1": digest["b"]},
        "prod": {"postgres:16.6-bookworm": digest["a"], "localhost:5000/x/tool:1.0": digest["c"]}}}
    (tmp_path / "shipform.lock.json").write_text(json.dumps(lock))
    ran = run_script(IMAGES, tmp_path, {"LOCK": "shipform.lock.json"}, tmp_path / "temp")
    assert ran.code == 0, ran.stderr
    assert json.loads(ran.outputs["matrix"])["include"] == [
        {"image": f"ghcr.io/acme/shop-api@{digest['b']}", "environments": "dev", "index": 0},
        {"image": f"localhost:5000/x/tool@{digest['c']}", "environments": "prod", "index": 1},
        {"image": f"postgres@{digest['a']}", "environments": "dev, prod", "index": 2}]
    assert ran.outputs["count"] == "3"
    empty = run_script(IMAGES, tmp_path, {"LOCK": "missing.json"}, tmp_path / "temp2")
    assert empty.outputs == {"matrix": '{"include":[]}', "count": "0"}


def test_the_schedule_is_a_prop_and_an_app_without_images_has_no_patch_workflow(tmp_path):
    write_sources(tmp_path)
    source = ('from shipform import *\napp = App("shop", registry="ghcr.io/acme", patch_schedule="5 3 1 * *")\n'
              'dev = Environment(app, "dev", local=True)\n'
              'WebService(dev, "api", image="nginx:1.27.3", port=80)\n')
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    assert yaml.safe_load(files[".github/workflows/shop-patch.yaml"])["on"]["schedule"] == [{"cron": "5 3 1 * *"}]
    empty = 'from shipform import *\napp = App("empty", registry="ghcr.io/acme")\nEnvironment(app, "dev", local=True)\n'
    files = render(exec_app(empty, tmp_path), tmp_path / "out")
    assert ".github/workflows/empty-ci.yaml" in files and ".github/workflows/empty-patch.yaml" not in files
