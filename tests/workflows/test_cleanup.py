"""``<app>-cleanup.yaml`` (App(keep_images_days=N)): what it may do and when it runs, asserted as security facts,
for the reference app (GHCR) and for every other kind of registry; and the trust policy of the push identity it
logs in as on a cloud registry."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import DIST, exec_app, write_sources
from shipform.render.workflow_cleanup import CLEANUP, SCHEDULE
from shipform.synth.pipeline import render

SHOP = DIST / "shop" / ".github" / "workflows" / "shop-cleanup.yaml"
APP = '''
from shipform import *
app = App("shop", registry=REGISTRY, version="1.0.0", repository="https://github.com/acme/shop.git",
          workflows="output"KEEP)
for env in (Environment(app, "dev", local=True), Environment(app, "prod", unpinned_images="nothing promoted yet",
                                                           destination=Destination(name="prod"))):
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
'''


def rendered(tmp_path, registry: str, keep: str = ", keep_images_days=14") -> dict[str, str]:
    write_sources(tmp_path)
    app = exec_app(APP.replace("REGISTRY", repr(registry)).replace("KEEP", keep), tmp_path)
    return render(app, tmp_path / "dist")


def cleanup_of(files: dict[str, str]) -> dict | None:
    text = files.get(".github/workflows/shop-cleanup.yaml")
    return None if text is None else yaml.safe_load(text)


def test_the_reference_app_cleans_up_weekly_and_previews_by_hand():
    doc = yaml.safe_load(SHOP.read_text())
    assert doc["on"] == {"schedule": [{"cron": SCHEDULE}], "workflow_dispatch": {}}  # no input (CKV_GHA_7)
    step = doc["jobs"]["cleanup"]["steps"][-1]
    assert step["run"] == CLEANUP
    # Only the schedule deletes; a run started by hand prints what would go.
    assert step["env"]["DRY_RUN"] == "${{ github.event_name != 'schedule' }}"
    assert step["env"]["KEEP_DAYS"] == "30" and step["env"]["LOCK"] == "apps/shop/shipform.lock.json"
    assert step["env"]["REPOSITORIES"].split("\n") == [f"ghcr.io/acme/shop-{s}" for s in
                                                       ("api", "catalog", "mailer", "web")]


def test_the_cleanup_holds_least_privilege_on_ghcr():
    """Deleting a GHCR package version takes the packages API and ``packages: write``; nothing else is held, the
    token reaches the one step that calls the API, and the job runs from the default branch only (a dispatch on
    another branch would read another lock)."""
    doc = yaml.safe_load(SHOP.read_text())
    assert doc["permissions"] == {}
    job = doc["jobs"]["cleanup"]
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert job["timeout-minutes"] == 30 and doc["concurrency"] == {"group": "${{ github.workflow }}",
                                                                     "cancel-in-progress": False}
    checkout = job["steps"][0]
    assert checkout["with"] == {"persist-credentials": False, "fetch-depth": 0}  # the commits' dates
    assert job["steps"][-1]["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "packages: write  # list and delete package versions (GHCR's packages API)" in SHOP.read_text()


def test_values_reach_the_script_only_through_env():
    text = SHOP.read_text()
    doc = yaml.safe_load(text)
    assert "${{" not in CLEANUP
    for step in doc["jobs"]["cleanup"]["steps"]:
        assert "${{" not in step.get("run", "")
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"])


def test_no_cleanup_without_the_prop(tmp_path):
    assert cleanup_of(rendered(tmp_path, "ghcr.io/acme", keep="")) is None


@pytest.mark.parametrize(("registry", "permissions", "login"), [
    ("registry.example.com/acme", {"contents": "read"}, "Log in to registry.example.com"),
    ("docker.io/acme", {"contents": "read"}, "Log in to Docker Hub"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", {"contents": "read", "id-token": "write"},
     "AWS credentials (OIDC)"),
    ("europe-docker.pkg.dev/acme/images", {"contents": "read", "id-token": "write"},
     "Google Cloud credentials (OIDC)"),
    ("acme.azurecr.io/shop", {"contents": "read", "id-token": "write"}, "Azure login (OIDC)"),
])
def test_other_registries_delete_through_the_registry_api_as_the_push_identity(tmp_path, registry, permissions,
                                                                                 login):
    doc = cleanup_of(rendered(tmp_path, registry))
    assert doc is not None
    job = doc["jobs"]["cleanup"]
    assert job["permissions"] == permissions  # no packages scope, no token for gh
    assert job["environment"] == "release"  # where the registry password or the push identity's variables live
    assert job["steps"][1]["name"] == login
    env = job["steps"][-1]["env"]
    assert env["KIND"] == "registry" and "GH_TOKEN" not in env and env["KEEP_DAYS"] == "14"
    if "AWS" in login:
        assert job["steps"][1]["with"]["role-to-assume"] == "${{ vars.AWS_PUSH_ROLE_ARN }}"


def test_the_push_identity_trusts_the_cleanup_on_the_default_branch(tmp_path):
    files = rendered(tmp_path, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme")
    push = yaml.safe_load(files["trust/aws-push.yaml"])
    assert "acme/shop/.github/workflows/shop-cleanup.yaml@refs/heads/main" in push["job_workflow_ref"]
    assert "shop-cleanup.yaml: cleanup" in push["used_by"]
    without = rendered(tmp_path / "without", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", keep="")
    assert "cleanup" not in without["trust/aws-push.yaml"]
