"""CI's lock trust job: its security facts for every kind of registry (least privilege, no persisted credentials,
read-only logins, the fork rule), the callers of CI granting what it needs, and its script, run with stand-ins for
skopeo and cosign: every bad entry reported in one run, each naming the image, where it is and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import DIST, exec_app, write_sources
from shipform.render.actions import ACTIONS
from shipform.render.workflow_lock import CREDENTIALS, LOCK_TRUST_ENVIRONMENT
from shipform.synth.pipeline import render
from workflows.steps import fake_tool, run_script

REGISTRIES = {"ghcr": "ghcr.io/acme", "dockerhub": "docker.io/acme",
              "ecr": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", "gcp": "europe-docker.pkg.dev/acme/images",
              "acr": "acme.azurecr.io/shop", "other": "registry.example.com/acme"}
PERMISSIONS = {"ghcr": {"contents": "read", "packages": "read"}, "dockerhub": {"contents": "read"},
               "ecr": {"contents": "read", "id-token": "write"}, "gcp": {"contents": "read", "id-token": "write"},
               "acr": {"contents": "read", "id-token": "write"}, "other": {"contents": "read"}}
APP = '''
from shipform import *
app = App("shop", registry=REGISTRY, version="1.0.0", repository="https://github.com/acme/shop.git")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", unpinned_images="nothing promoted yet", namespace="shop-prod")
for env in (dev, prod):
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
'''


def workflows(tmp_path: Path, kind: str) -> dict[str, dict[str, Any]]:
    write_sources(tmp_path)
    files = render(exec_app(APP.replace("REGISTRY", repr(REGISTRIES[kind])), tmp_path), tmp_path / "dist")
    return {path.rsplit("/", 1)[1]: yaml.safe_load(text) for path, text in files.items()
            if path.startswith(".github/workflows/")}


@pytest.mark.parametrize("kind", list(REGISTRIES))
def test_the_job_reads_with_least_privilege_and_persists_nothing(tmp_path, kind):
    docs = workflows(tmp_path, kind)
    job = docs["shop-ci.yaml"]["jobs"]["lock-trust"]
    assert job["name"] == "shop: lock trust"
    assert job["permissions"] == PERMISSIONS[kind]  # read-only: nothing here may push, sign or deploy
    steps = job["steps"]
    assert steps[0]["with"]["persist-credentials"] is False
    assert all(s["uses"].split("@")[1] == next(a.sha for a in ACTIONS.values() if a.uses() == s["uses"])
               for s in steps if "uses" in s)  # every action pinned by the table's commit
    assert not any("${{" in s.get("run", "") for s in steps)  # values reach scripts through env: only
    listing = next(i for i, s in enumerate(steps) if "shipform lock list" in s.get("run", ""))
    logins = [i for i, s in enumerate(steps) if "password" in str(s.get("with", {})) or "role-to-assume" in str(s)
              or "workload_identity_provider" in str(s) or "client-id" in str(s)]
    assert logins and listing < min(logins)  # the app file runs before any credential is in the job
    assert "secrets." not in str(steps[listing]) and "token" not in str(steps[listing].get("env", {})).lower()
    if kind == "ghcr":  # the workflow's token, read-only: a fork's pull request has it too
        assert steps[logins[0]]["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}" and "environment" not in job
    else:  # a secret or an OIDC token, neither of which GitHub gives a fork's pull request
        assert all(steps[i]["if"] == CREDENTIALS for i in logins)
        assert job["environment"] == LOCK_TRUST_ENVIRONMENT
    assert not any(v in str(job) for v in ("PUSH_ROLE", "PUSH_SERVICE_ACCOUNT", "PUSH_CLIENT_ID", "DEPLOY_"))


@pytest.mark.parametrize("kind", ["ghcr", "ecr"])
def test_the_workflows_that_call_ci_grant_what_the_job_needs(tmp_path, kind):
    docs = workflows(tmp_path, kind)
    needed = docs["shop-ci.yaml"]["jobs"]["lock-trust"]["permissions"]
    calls = [job for doc in docs.values() for job in doc["jobs"].values() if "shop-ci.yaml" in job.get("uses", "")]
    assert len(calls) == 3  # the build, the promotion and the patch loop
    assert all(call["permissions"] == needed for call in calls)
    assert all("secrets" not in call for call in calls)  # GITHUB_TOKEN or OIDC: nothing to pass


def test_a_registry_password_is_passed_to_ci_by_name_and_read_in_its_environment(tmp_path):
    """A called workflow sees no repository secret its caller does not pass: the build and the promotion pass
    exactly the login's secret, declared by CI's workflow_call (set in the environment lock-trust, the job reads
    it there)."""
    docs = workflows(tmp_path, "other")
    ci = docs["shop-ci.yaml"]
    assert ci["on"]["workflow_call"]["secrets"] == {"REGISTRY_PASSWORD": {"required": False}}
    calls = [job for doc in docs.values() for job in doc["jobs"].values() if "shop-ci.yaml" in job.get("uses", "")]
    assert [call["secrets"] for call in calls] == [{"REGISTRY_PASSWORD": "${{ secrets.REGISTRY_PASSWORD }}"}] * 3


def test_the_reference_apps_ci_checks_the_lock():
    ci = yaml.safe_load((DIST / "shop" / ".github" / "workflows" / "shop-ci.yaml").read_text())
    check = ci["jobs"]["lock-trust"]["steps"][-1]
    assert check["env"]["LOCK"] == "apps/shop/shipform.lock.json" and check["env"]["BRANCH"] == "main"


GOOD, MISSING, FOREIGN, THIRD = ("sha256:" + c * 64 for c in "abcd")
IDENTITY = r"^https://github\.com/acme/shop/\.github/workflows/shop-build\.yaml@refs/(heads/main|tags/v.+|tags/shop/v.+)$"


def run_check(tmp_path: Path, lines: list[str], credentials: str = "true"):
    script = yaml.safe_load((DIST / "shop" / ".github" / "workflows" / "shop-ci.yaml").read_text())[
        "jobs"]["lock-trust"]["steps"][-1]["run"]
    temp = tmp_path / "runner"
    temp.mkdir(parents=True)
    (temp / "lock-digests").write_text("".join(f"{line}\n" for line in lines))
    fake_tool(temp, "skopeo", f'case "$*" in *{MISSING}*) echo "manifest unknown" >&2; exit 1 ;; esac\n')
    fake_tool(temp, "cosign", f'printf "%s\\n" "$*" >> {temp / "cosign-calls"}\n'
              f'case "$*" in *{FOREIGN}*) echo "Error: none of the expected identities matched" >&2; exit 1 ;; esac\n')
    env = {"LOCK": "apps/shop/shipform.lock.json", "BRANCH": "main", "WORKFLOWS": ".github/workflows",
           "CREDENTIALS": credentials}
    return run_script(script, tmp_path, env, temp), temp


def test_every_bad_entry_is_reported_in_one_run_with_its_image_section_and_fix(tmp_path):
    lines = [f"built\tghcr.io/acme/shop-api@{GOOD}\tshop",
             f"environments.dev\tghcr.io/acme/shop-api:1.0.0@{MISSING}\tshop",
             f"environments.prod\tghcr.io/acme/shop-web:1.0.0@{FOREIGN}\tshop",
             f"bases\tpython:3.12-slim@{MISSING}\t-",
             f"environments.prod\tnginx:1.27.3@{THIRD}\t-"]
    ran, temp = run_check(tmp_path, lines)
    assert ran.code == 1
    errors = [line for line in ran.stdout.splitlines() if line.startswith("::error::")]
    assert errors == [
        f"::error::ghcr.io/acme/shop-api:1.0.0@{MISSING} (Environment dev of apps/shop/shipform.lock.json) does not "
        "exist in its registry or cannot be read there: manifest unknown. Fix: restore the digest shop's build "
        "recorded (git log -p -- apps/shop/shipform.lock.json); its next build records it again",
        f"::error::ghcr.io/acme/shop-web:1.0.0@{FOREIGN} (Environment prod of apps/shop/shipform.lock.json) is not "
        "signed by .github/workflows/shop-build.yaml of this repository on main or a release tag: Error: none of "
        "the expected identities matched. Fix: restore the digest shop's build recorded (git log -p -- "
        "apps/shop/shipform.lock.json); only digests its build signed may be deployed",
        f"::error::python:3.12-slim@{MISSING} (the lock's 'bases' section of apps/shop/shipform.lock.json) does not "
        "exist in its registry or cannot be read there: manifest unknown. Fix: run `shipform lock` to read its "
        "digest from the registry again, and commit apps/shop/shipform.lock.json",
        "::error::3 of 5 digest(s) in apps/shop/shipform.lock.json cannot be trusted (the lines above name each)"]
    # Built images verified by digest, without the tag, against the build workflow's identity; third-party ones never.
    calls = (temp / "cosign-calls").read_text().splitlines()
    assert calls == [f"verify --certificate-identity-regexp {IDENTITY} --certificate-oidc-issuer "
                     f"https://token.actions.githubusercontent.com ghcr.io/acme/{name}@{digest}"
                     for name, digest in (("shop-api", GOOD), ("shop-web", FOREIGN))]


def test_a_lock_of_good_digests_passes(tmp_path):
    ran, _ = run_check(tmp_path, [f"built\tghcr.io/acme/shop-api@{GOOD}\tshop",
                                  f"environments.prod\tnginx:1.27.3@{THIRD}\t-"])
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "All 2 digest(s) in apps/shop/shipform.lock.json exist" in ran.stdout
    assert run_check(tmp_path / "empty", [])[0].code == 0  # no lock file: nothing to check


def test_a_run_without_credentials_says_so_in_each_error(tmp_path):
    ran, _ = run_check(tmp_path, [f"environments.dev\tghcr.io/acme/shop-api:1.0.0@{MISSING}\tshop"], "false")
    assert ran.code == 1
    assert "(read without credentials: a fork's pull request gets none; push its branch here to check it)" \
        in ran.stdout
