"""The generated GitHub Actions workflows: hardened by construction, a login for every kind of registry, and
hostile strings that cannot change their structure."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from conftest import DIST, exec_app, write_sources
from shipform import InvalidApp
from shipform.render.actions import ACTIONS
from shipform.render.registries import kind_of, login_steps
from shipform.synth.pipeline import render

WORKFLOWS = sorted((DIST / "shop" / ".github" / "workflows").glob("*.yaml"))
PINNED = re.compile(r"^\s*(?:- )?uses: (?P<repo>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>\S+)$")


def load(path):
    return yaml.safe_load(path.read_text())


def steps(doc):
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_the_reference_app_has_ci_build_and_promotion_workflows():
    assert [p.name for p in WORKFLOWS] == ["shop-build.yaml", "shop-ci.yaml", "shop-promote-dev-to-prod.yaml"]


def test_images_are_dated_by_the_commit_and_labelled_with_it():
    """Reproducible images: BuildKit reads SOURCE_DATE_EPOCH (the commit's time) for every timestamp; the labels
    only a build knows (revision, created) come from the commit too."""
    build = next(s for s in steps(load(DIST / "shop" / ".github" / "workflows" / "shop-build.yaml"))
                 if s.get("id") == "push")
    assert build["env"] == {"SOURCE_DATE_EPOCH": "${{ steps.commit.outputs.epoch }}"}
    assert build["with"]["labels"].splitlines() == [
        "org.opencontainers.image.revision=${{ github.sha }}",
        "org.opencontainers.image.created=${{ steps.commit.outputs.created }}"]
    assert build["with"]["sbom"] is True and build["with"]["provenance"] == "mode=max"


def test_private_index_credentials_reach_the_build_as_buildkit_secrets_only(tmp_path):
    """Declared build secrets go to BuildKit from repository secrets; the Dockerfiles mount each only while
    dependencies install (never an ARG, an ENV or a layer), and skip the mount where none is given."""
    write_sources(tmp_path)
    source = ('from shipform import *\napp = App("shop", registry="ghcr.io/acme", build_secrets=["npmrc", "netrc"])\n'
              'dev = Environment(app, "dev", local=True)\n'
              'WebService(dev, "api", build=Build.python("py", ["python", "-m", "api"]), port=8000)\n'
              'WebService(dev, "web", build=Build.node("node", ["node", "server.js"]), port=3000)\n')
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    build = next(s for s in steps(yaml.safe_load(files[".github/workflows/shop-build.yaml"])) if s.get("id") == "push")
    assert build["with"]["secrets"].splitlines() == ["netrc=${{ secrets.BUILD_NETRC }}",
                                                     "npmrc=${{ secrets.BUILD_NPMRC }}"]
    python, node = files["docker/api/Dockerfile"], files["docker/web/Dockerfile"]
    assert "--mount=type=secret,id=netrc,target=/root/.netrc,required=false" in python
    assert "--mount=type=secret,id=pip.conf,target=/root/.config/pip/pip.conf,required=false" in python
    assert "--mount=type=secret,id=npmrc,target=/root/.npmrc,required=false" in node
    for text in (python, node):
        assert not re.search(r"^(ARG|ENV) .*(NETRC|NPM_TOKEN|PIP_INDEX)", text, re.M | re.I)
    # Without build_secrets the workflow passes none (the mounts are then skipped).
    assert "secrets" not in next(s for s in steps(load(DIST / "shop" / ".github" / "workflows" / "shop-build.yaml"))
                                 if s.get("id") == "push")["with"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_least_privilege_a_timeout_and_no_persisted_credentials(path):
    doc = load(path)
    assert doc["permissions"] == {} and doc["concurrency"]["group"]
    for job in doc["jobs"].values():
        assert job["timeout-minutes"] <= 60 and isinstance(job["permissions"], dict)
        assert "write-all" not in str(job["permissions"])
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_with_its_version_from_the_table(path):
    known = {a.repo: a for a in ACTIONS.values()}
    lines = [line for line in path.read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        m = PINNED.match(line)
        assert m, line
        action = known[m["repo"]]
        assert (m["sha"], m["version"]) == (action.sha, action.version)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_of_the_event_reaches_a_script(path):
    for step in steps(load(path)):
        assert "${{" not in step.get("run", ""), step["run"]


REGISTRIES = [
    ("ghcr.io/acme", "ghcr", ["docker/login-action"]),
    ("docker.io/acme", "dockerhub", ["docker/login-action"]),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", "ecr",
     ["aws-actions/configure-aws-credentials", "aws-actions/amazon-ecr-login"]),
    ("europe-docker.pkg.dev/acme/images", "gcp", ["google-github-actions/auth", "docker/login-action"]),
    ("acme.azurecr.io/shop", "acr", ["Azure/login", None]),
    ("registry.example.com/acme", "other", ["docker/login-action"]),
]


@pytest.mark.parametrize(("registry", "kind", "actions"), REGISTRIES, ids=[r[1] for r in REGISTRIES])
def test_each_registry_gets_its_own_login(registry, kind, actions):
    assert kind_of(registry) == kind
    login = login_steps(registry)
    assert [s["uses"].split("@")[0] if "uses" in s else None for s in login] == actions
    text = yaml.safe_dump(login)
    assert "secrets." not in text or kind in ("ghcr", "dockerhub", "other")  # the clouds use OIDC, no keys
    if kind == "ecr":
        assert login[0]["with"]["aws-region"] == "eu-west-1"


HOSTILE = ["x'; rm -rf / #", "${{ secrets.GITHUB_TOKEN }}", 'a"b', "line\nbreak", "$(id)"]
APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme", repository="https://github.com/acme/shop.git", workflows="output")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", unpinned_images="a test app: its images are never pushed")
for env in (dev, prod):
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, env={"NOTE": NOTE})
'''


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_stay_data_or_are_refused(tmp_path, hostile):
    """An env value never reaches a workflow; the app's folder does (CI runs `shipform synth <app file>`): it is
    one shell word in every script, or refused where GitHub would evaluate it."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "requirements.txt").write_text("shipform\n")
    folder = repo / ("app-" + hostile.replace("/", "_"))
    folder.mkdir()
    write_sources(folder)
    source = APP.replace("NOTE})", f"{hostile!r}}})")
    try:
        files = render(exec_app(source, folder), repo / "dist")
    except InvalidApp as err:
        assert "${{" in hostile or "\n" in hostile, err
        assert "would be evaluated by GitHub Actions" in str(err)
        return
    app_file = f"{folder.name}/app.py"
    for path, text in files.items():
        if path.startswith(".github/workflows/"):
            for step in steps(yaml.safe_load(text)):
                for line in step.get("run", "").splitlines():
                    words = shlex.split(line)
                    assert "rm" not in words and "id" not in words, line
                    if "shipform" in words:
                        assert app_file in words, line


KUBECTL = '''
from shipform import *
app = App("kd", registry="123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", workflows="output")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", gitops="kubectl", cluster=CLUSTER, unpinned_images="a test app: never pushed")
for env in (dev, prod):
    db = StatefulDB(env, "db", engine="postgres", version="16")
    api = WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, connects_to=[db],
                     migrate=Migration(["python", "-m", "migrate"]))
    Job(env, "seed", image_of=api, command=["python", "-m", "seed"], connects_to=[db])
'''
CLUSTERS = [('Cluster.eks("shop-prod", "eu-west-1")', "aws-actions/configure-aws-credentials"),
            ('Cluster.gke("shop-prod", "europe-west1")', "google-github-actions/get-gke-credentials"),
            ('Cluster.aks("shop-prod", "rg-shop")', "Azure/aks-set-context"),
            ("Cluster.kubeconfig()", "Azure/k8s-set-context")]


@pytest.mark.parametrize(("cluster", "action"), CLUSTERS, ids=[c[1].split("/")[1] for c in CLUSTERS])
def test_an_environment_without_gitops_is_deployed_by_a_protected_workflow(tmp_path, cluster, action):
    write_sources(tmp_path)
    files = render(exec_app(KUBECTL.replace("CLUSTER", cluster), tmp_path), tmp_path / "out")
    doc = yaml.safe_load(files[".github/workflows/kd-deploy-prod.yaml"])
    job = doc["jobs"]["deploy"]
    assert job["environment"] == "prod" and job["permissions"] == {"contents": "read", "id-token": "write"}
    assert any(s.get("uses", "").startswith(action + "@") for s in job["steps"])
    script = job["steps"][-1]["run"].splitlines()
    assert script[0].startswith("kubectl apply --server-side --field-manager=shipform -k ")
    assert script[-1].endswith("-k out/kd/k8s/prod/jobs") or script[-1].endswith("k8s/prod/jobs")
    assert not any(p.startswith("gitops/") for p in files)
    deployment = yaml.safe_load(files["k8s/prod/deployment-kd-api.yaml"])  # no hooks: an init container
    assert deployment["spec"]["template"]["spec"]["initContainers"][0]["name"] == "migrate"
    assert "k8s/prod/jobs/job-kd-seed.yaml" in files


@pytest.mark.parametrize("env", ['Environment(app, "stage", gitops="kubectl")',
                                 'Environment(app, "stage", cluster=Cluster.kubeconfig())'])
def test_a_cluster_goes_with_gitops_kubectl_only(tmp_path, env):
    with pytest.raises(InvalidApp, match="'cluster' is needed exactly when gitops='kubectl'"):
        exec_app('from shipform import *\napp = App("kd", registry="ghcr.io/acme")\n' + env, tmp_path)
