"""No token in the environment of a step that runs the app file or its dependencies' code: in every generated
workflow (CI, build, promotion, deploy), for every kind of registry and every GitOps provider. Such a step
imports the user's code and whatever it installed; a token there (the workflow's, the GitHub App's, a secret)
would be one `os.environ` away from any of it."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.synth.pipeline import render
from workflows.test_workflows import REGISTRIES

GITOPS = [("argocd", ""), ("flux", ""), ("kubectl", ', cluster=Cluster.eks("shop-prod", "eu-west-1")')]
APP = '''
from shipform import *
app = App("shop", registry=REGISTRY, workflows="output", build_secrets=SECRETS)
dev = Environment(app, "dev", local=True)
test = Environment(app, "test", gitops=GITOPS, namespace="shop-test", tls_issuer=Issuer(name="internal-ca"),
                   unpinned_images="a test app: its images are never pushed",
                   data_storage=DataStorage("ebs.csi.aws.com"))
prod = Environment(app, "prod", gitops=GITOPS, unpinned_images="a test app: its images are never pushed",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
for env in (dev, test, prod):
    db = StatefulDB(env, "db", engine="postgres", version="16")
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, connects_to=[db])
'''
RUNS_THE_APP = re.compile(r"^\s*(?:(?:if|then|else|elif|do|!)\s+)*(?:\S+=\S*\s+)*"
                          r"(shipform|python3?|pip3?|pytest|uv|poetry|npm|node)\b", re.MULTILINE)
"""A command that imports the app file (shipform synth, lock, promote; python; the tests) or runs code the app's
dependencies bring (their installers)."""
TOKEN = re.compile(r"token|secrets\.", re.IGNORECASE)


def runs_the_app(step: dict) -> bool:
    return bool(RUNS_THE_APP.search(step.get("run", ""))) or step.get("name") == "Install the app's dependencies"


def workflows(tmp_path, registry: str, gitops: str, secrets: str) -> dict[str, dict]:
    write_sources(tmp_path)
    kind, cluster = gitops
    source = APP.replace("REGISTRY", repr(registry)).replace("SECRETS", secrets).replace(
        "gitops=GITOPS", f"gitops={kind!r}{cluster}")
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    return {p: yaml.safe_load(t) for p, t in files.items() if p.startswith(".github/workflows/")}


@pytest.mark.parametrize("secrets", ["()", "('pip.conf',)"], ids=["no-build-secrets", "build-secrets"])
@pytest.mark.parametrize("gitops", GITOPS, ids=[g[0] for g in GITOPS])
@pytest.mark.parametrize("registry", [r[0] for r in REGISTRIES], ids=[r[1] for r in REGISTRIES])
def test_no_step_that_runs_the_app_has_a_token_in_its_environment(tmp_path, registry, gitops, secrets):
    docs = workflows(tmp_path, registry, gitops, secrets)
    names = {p.rsplit("/", 1)[1] for p in docs}
    assert {"shop-ci.yaml", "shop-build.yaml", "shop-promote-test-to-prod.yaml"} <= names, names
    seen = 0
    for path, doc in docs.items():
        for job_id, job in doc["jobs"].items():
            assert not TOKEN.search(str(job.get("env", {}))), (path, job_id)  # nothing job-wide either
            for step in job.get("steps", []):
                if not runs_the_app(step):
                    continue
                seen += 1
                env = step.get("env", {})
                assert not {"GH_TOKEN", "GITHUB_TOKEN"} & set(env), (path, job_id, step["name"])
                assert not any(TOKEN.search(str(v)) for v in env.values()), (path, job_id, step["name"], env)
                assert "uses" not in step
    assert seen >= 5  # CI's install, synth check and tests; the record's and the promotion's


def test_the_steps_that_push_run_nothing_of_the_app(tmp_path):
    """The record and the promotion hand their commit over as a bundle: the steps that hold the token fetch,
    push and open the pull request, from a repository of their own, with hooks off."""
    docs = workflows(tmp_path, "ghcr.io/acme", GITOPS[0], "()")
    for path, doc in docs.items():
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                if "GH_TOKEN" in step.get("env", {}) and "run" in step:
                    assert not runs_the_app(step), (path, step["name"])
                    if "authorized" in step["run"]:
                        assert 'git --git-dir="$clean" -c core.hooksPath=/dev/null' in step["run"]
                        assert 'git init --quiet --bare --template= "$clean"' in step["run"]
