"""The generated GitHub Actions workflows: hardened by construction, a login for every kind of registry, and
hostile strings that cannot change their structure."""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from conftest import DIST, exec_app, write_sources
from shipform import InvalidApp
from shipform.render.actions import ACTIONS
from shipform.render.registries import kind_of, login_steps
from shipform.synth.pipeline import render
from workflows.steps import fake_tool, run_script

WORKFLOWS = sorted((DIST / "shop" / ".github" / "workflows").glob("*.yaml"))
LOCAL = re.compile(r"^\s*uses: \./\.github/workflows/shop-ci\.yaml  # zizmor: ignore\[self-repository\]$")
PINNED = re.compile(r"^\s*(?:- )?uses: (?P<repo>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # (?P<version>\S+)$")


def load(path):
    return yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


def steps(doc):
    """Every step of the jobs that run steps (a job that calls a workflow has none)."""
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def test_the_reference_app_has_ci_build_and_promotion_workflows():
    assert [p.name for p in WORKFLOWS] == [
        "shop-build.yaml", "shop-ci.yaml", "shop-cleanup.yaml", "shop-patch.yaml", "shop-promote-dev-to-prod.yaml"]


def build_doc():
    return load(DIST / "shop" / ".github" / "workflows" / "shop-build.yaml")


def test_ci_runs_on_pull_requests_and_is_called_by_the_build_and_the_promotion():
    ci = load(DIST / "shop" / ".github" / "workflows" / "shop-ci.yaml")
    assert set(ci["on"]) == {"pull_request", "workflow_call"}  # a push to main is built, and the build calls CI
    assert ci["on"]["workflow_call"]["inputs"]["ref"]["default"] == ""
    assert all(s["with"]["ref"] == "${{ inputs.ref }}" for s in steps(ci) if s.get("uses", "").startswith(
        "actions/checkout@"))
    # Called, github.workflow is the caller's: CI's group can never be the caller's own (a deadlock).
    assert ci["concurrency"]["group"] == "${{ github.workflow }}-ci-${{ github.ref }}"
    assert [j["name"] for j in ci["jobs"].values()] == [
        "shop: synth check and tests", "shop: hadolint", "shop: trivy config", "shop: lock trust"]


def test_the_build_runs_after_ci_and_only_for_what_the_app_is_made_of():
    doc = build_doc()
    push = doc["on"]["push"]
    assert push["branches"] == ["main"] and push["tags"] == ["v*", "shop/v*"]
    assert push["paths"][:2] == ["apps/shop/**", "dist/shop/**"]
    assert push["paths"][-2:] == ["!apps/shop/shipform.lock.json", "!dist/shop/k8s/**"]  # what record writes
    jobs = doc["jobs"]
    assert list(jobs) == ["ci", "image", "record"]
    assert jobs["ci"]["uses"] == "./.github/workflows/shop-ci.yaml" and jobs["image"]["needs"] == "ci"
    assert jobs["record"]["needs"] == "image" and jobs["record"]["concurrency"]["group"] == "shop-record-main"
    assert jobs["ci"]["if"] == "github.event_name != 'workflow_dispatch' || github.ref == 'refs/heads/main'"


def test_an_image_is_built_to_a_layout_scanned_then_pushed_signed_and_attested():
    """Nothing reaches the registry before the scan; the digest pushed is the one scanned; a branch build pushes
    sha-<commit> only (the version tag comes from a release tag's build)."""
    image = build_doc()["jobs"]["image"]
    names = [s["name"] for s in image["steps"]]
    order = ["The tag this build pushes", "Build it, or reuse the digest of the same inputs", "Build to an OCI layout",
             "Fail on fixable critical vulnerabilities", "Push the scanned image",
             "Sign (keyless, with the workflow's identity)", "Attest build provenance",
             "Hand the digest to the record job"]
    assert [n for n in names if n in order] == order
    build = next(s for s in image["steps"] if s["name"] == "Build to an OCI layout")
    assert build["with"]["push"] is False and build["with"]["outputs"].startswith("type=oci,dest=${{ runner.temp }}")
    scan = next(s for s in image["steps"] if s["name"] == "Fail on fixable critical vulnerabilities")
    assert scan["with"]["input"] == "${{ runner.temp }}/image"
    push = next(s for s in image["steps"] if s["name"] == "Push the scanned image")
    assert "skopeo copy --all --preserve-digests" in push["run"]
    assert "sha-$SHA" in next(s for s in image["steps"] if s.get("id") == "target")["run"]
    assert "1.4.2" not in json.dumps(build) and "github.sha" not in json.dumps(build)
    # actions/attest README: id-token, attestations and artifact-metadata (packages: write to push to GHCR).
    assert image["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write",
                                    "artifact-metadata": "write", "packages": "write"}


def test_images_are_dated_and_labelled_by_the_last_commit_that_changed_their_inputs():
    """An unchanged service keeps its digest: nothing in the image names the commit that started the build."""
    build = next(s for s in steps(build_doc()) if s.get("name") == "Build to an OCI layout")
    assert build["env"] == {"SOURCE_DATE_EPOCH": "${{ steps.plan.outputs.epoch }}"}
    assert build["with"]["labels"].splitlines() == [
        "org.opencontainers.image.revision=${{ steps.plan.outputs.revision }}",
        "org.opencontainers.image.created=${{ steps.plan.outputs.created }}",
        "shipform.inputs=${{ steps.plan.outputs.inputs }}"]
    assert build["with"]["sbom"] is True and build["with"]["provenance"] == "mode=max"


def test_record_commits_exactly_the_lock_and_the_output_pushed_to_the_server_it_runs_on():
    record = build_doc()["jobs"]["record"]
    by_id = {s.get("id"): s for s in record["steps"]}
    script = by_id["record-1"]["run"]
    assert "git add -A" not in script and "https://github.com" not in script and "@github.com" not in script
    assert 'git add -- "$OUTPUT"' in script and 'git add -- "$LOCK"' in script
    # Fetch and push hold the token and run nothing of the app; the step between runs the app without it.
    assert "GH_TOKEN" not in by_id["record-1"]["env"] and "authorized" not in script
    for n in (1, 2, 3):
        for token_step in (by_id[f"fetch-{n}"], by_id[f"push-{n}"]):
            assert 'remote="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY.git"' in token_step["run"]
            assert token_step["env"]["GH_TOKEN"] == "${{ steps.app-token.outputs.token || github.token }}"
            assert "shipform" not in token_step["run"]
    assert by_id["fetch-2"]["if"] == by_id["record-2"]["if"] == "steps.push-1.outputs.moved == 'true'"
    assert by_id["push-2"]["if"] == "steps.record-2.outputs.changed == 'true'"
    assert record["outputs"]["commit"] == "${{ steps.commit.outputs.commit }}"
    assert list(by_id["commit"]["env"]) == ["PUSHED3", "RECORDED3", "PUSHED2", "RECORDED2", "PUSHED1", "RECORDED1"]
    app_token = next(s for s in record["steps"] if s.get("id") == "app-token")
    assert app_token["if"] == "vars.SHIPFORM_APP_CLIENT_ID != ''"
    assert app_token["with"]["private-key"] == "${{ secrets.SHIPFORM_APP_KEY }}"
    assert record["environment"] == "release"  # the App's key is a secret: a GitHub environment guards it


def test_promotion_verifies_before_it_writes_and_gets_its_checks():
    doc = load(DIST / "shop" / ".github" / "workflows" / "shop-promote-dev-to-prod.yaml")
    promote = doc["jobs"]["promote"]
    assert promote["if"] == "github.ref == 'refs/heads/main'" and set(doc["on"]) == {"workflow_dispatch"}
    names = [s["name"] for s in promote["steps"]]
    assert names.index("Verify the signature and provenance of what dev runs") < names.index(
        "Promote dev to prod") < names.index("Push the promotion and open a pull request")
    assert promote["outputs"]["commit"] == "${{ steps.publish.outputs.commit }}"
    verify = next(s for s in promote["steps"] if s["name"].startswith("Verify"))
    assert "cosign verify --certificate-identity-regexp" in verify["run"]
    assert 'cosign verify-attestation "${trust[@]}" --type slsaprovenance1' in verify["run"]
    # a private repository's provenance is signed by GitHub's Sigstore instance: verified against its root
    assert "gh attestation trusted-root" in verify["run"] and 'trust=(--trusted-root' in verify["run"]
    assert verify["env"]["VISIBILITY"] == "${{ github.event.repository.visibility }}"
    assert "--certificate-oidc-issuer \"$issuer\"" in verify["run"]
    assert verify["env"]["WORKFLOW"] == ".github/workflows/shop-build.yaml"
    ci, report = doc["jobs"]["ci"], doc["jobs"]["report"]
    assert ci["with"] == {"ref": "${{ needs.promote.outputs.commit }}"}
    assert ci["if"] == "needs.promote.outputs.commit != '' && needs.promote.outputs.via-app != 'success'"
    assert report["permissions"] == {"statuses": "write"}
    assert report["steps"][0]["env"]["CHECKS"].splitlines() == [
        "shop: synth check and tests", "shop: hadolint", "shop: trivy config", "shop: lock trust"]


def test_private_index_credentials_reach_the_build_as_buildkit_secrets_only(tmp_path):
    """Declared build secrets go to BuildKit from repository secrets; the Dockerfiles mount each only while
    dependencies install (never an ARG, an ENV or a layer), and skip the mount where none is given."""
    write_sources(tmp_path)
    source = ('from shipform import *\napp = App("shop", registry="ghcr.io/acme", build_secrets=["npmrc", "netrc"])\n'
              'dev = Environment(app, "dev", local=True)\n'
              'WebService(dev, "api", build=Build.python("py", ["python", "-m", "api"]), port=8000)\n'
              'WebService(dev, "web", build=Build.node("node", ["node", "server.js"]), port=3000)\n')
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    build = next(s for s in steps(yaml.safe_load(files[".github/workflows/shop-build.yaml"]))
                 if s.get("name") == "Build to an OCI layout")
    assert build["with"]["secrets"].splitlines() == ["netrc=${{ secrets.BUILD_NETRC }}",
                                                     "npmrc=${{ secrets.BUILD_NPMRC }}"]
    python, node = files["docker/api/Dockerfile"], files["docker/web/Dockerfile"]
    assert "--mount=type=secret,id=netrc,target=/root/.netrc,required=false" in python
    assert "--mount=type=secret,id=pip.conf,target=/root/.config/pip/pip.conf,required=false" in python
    assert "--mount=type=secret,id=npmrc,target=/root/.npmrc,required=false" in node
    for text in (python, node):
        assert not re.search(r"^(ARG|ENV) .*(NETRC|NPM_TOKEN|PIP_INDEX)", text, re.M | re.I)
    # Without build_secrets the workflow passes none (the mounts are then skipped).
    assert "secrets" not in next(s for s in steps(build_doc()) if s.get("name") == "Build to an OCI layout")["with"]
    # The layers hold what the secrets fetched: no cache is read or written (a pull request may read a cache).
    assert not {"cache-from", "cache-to"} & set(build["with"])


def test_the_layer_cache_is_written_by_the_default_branch_only_scoped_by_app_and_image():
    """GitHub lets every ref read the default branch's caches and keeps a pull request's under its own ref: the
    build (default branch and release tags) writes only on the default branch, and pull requests run no build."""
    build = next(s for s in steps(build_doc()) if s.get("name") == "Build to an OCI layout")["with"]
    assert build["cache-from"] == "type=gha,scope=shop-${{ matrix.image }}"
    assert build["cache-to"] == ("${{ github.ref == 'refs/heads/main' && "
                                 "format('type=gha,mode=max,scope=shop-{0}', matrix.image) || '' }}")
    assert "pull_request" not in build_doc()["on"] and "pull_request_target" not in build_doc()["on"]
    for path in WORKFLOWS:  # CI, which pull requests run, builds no image and uses no layer cache
        assert "type=gha" not in path.read_text() or path.name == "shop-build.yaml"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_least_privilege_a_timeout_and_no_persisted_credentials(path):
    doc = load(path)
    assert doc["permissions"] == {} and doc["concurrency"]["group"]
    for job in doc["jobs"].values():
        assert isinstance(job["permissions"], dict)
        if "uses" in job:  # a called workflow: its own jobs have their timeouts
            continue
        assert job["timeout-minutes"] <= 60
        assert "write-all" not in str(job["permissions"])
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha_with_its_version_from_the_table(path):
    known = {a.repo: a for a in ACTIONS.values()}
    lines = [line for line in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert lines
    # A workflow of the same repository (CI, called by the build and the promotion) is the commit being run.
    local = [line for line in lines if LOCAL.match(line)]
    for line in [line for line in lines if line not in local]:
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
prod = Environment(app, "prod", unpinned_images="a test app: its images are never pushed",
                   destination=Destination(name="prod"), tls_issuer=Issuer(name="internal-ca"),
                   data_storage=DataStorage("ebs.csi.aws.com"))
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
                if "APP_FILE" in step.get("env", {}):
                    assert step["env"]["APP_FILE"] == app_file
                for line in step.get("run", "").replace("\\\n", " ").splitlines():
                    words = shlex.split(line, comments=True)
                    assert "rm" not in words and "id" not in words, line
                    if "shipform" in words and "$APP_FILE" not in words:
                        assert app_file in words, line


KUBECTL = '''
from shipform import *
app = App("kd", registry="123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", workflows="output")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", gitops="kubectl", cluster=CLUSTER, unpinned_images="a test app: never pushed",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
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
    assert doc["on"] == {"push": {"branches": ["main"], "paths": ["out/kd/k8s/prod/**"]}, "workflow_dispatch": {}}
    assert job["if"] == "github.ref == 'refs/heads/main'"  # a dispatch from another branch deploys nothing
    apply = job["steps"][-1]
    assert apply["env"] == {"KUBECTL_APPLYSET": "true"}
    script = apply["run"].replace("\\\n", "").splitlines()
    assert script[:2] == ["cd out/kd/k8s/prod",  # cluster-wide objects: the namespace, the databases' class
                          "kubectl apply --server-side --field-manager=shipform -f namespace-kd.yaml   "
                          "-f storageclass-kd-prod-data.yaml"]
    assert script[2].startswith("kubectl apply --server-side --field-manager=shipform --prune "
                                "--applyset=shipform-kd-prod -n kd -f resourcequota-kd-quota.yaml")
    assert "-f statefulset-kd-db.yaml" in script[2] and "job-kd-seed" not in script[2]
    assert script[-1].startswith("kubectl apply --server-side --field-manager=shipform --prune "
                                 "--applyset=shipform-kd-prod-jobs -n kd -f jobs/job-kd-seed.yaml || ")
    text = apply["run"]
    assert "kubectl wait" not in text and "--all-namespaces" not in text and " -A " not in text
    assert not any(p.startswith("gitops/") for p in files)
    deployment = yaml.safe_load(files["k8s/prod/deployment-kd-api.yaml"])  # no hooks: an init container
    assert deployment["spec"]["template"]["spec"]["initContainers"][0]["name"] == "migrate"
    assert "k8s/prod/jobs/job-kd-seed.yaml" in files


def test_the_deploy_waits_for_each_workload_it_finds_and_holds_for_an_app_without_one_kind(tmp_path):
    """`kubectl wait -l` exits 1 on "no matching resources"; the deploy reads the namespace's workloads and
    waits for each rollout, so an app without a StatefulSet deploys."""
    write_sources(tmp_path)
    files = render(exec_app(KUBECTL.replace("CLUSTER", "Cluster.kubeconfig()"), tmp_path), tmp_path / "out")
    script = yaml.safe_load(files[".github/workflows/kd-deploy-prod.yaml"])["jobs"]["deploy"]["steps"][-1]["run"]
    folder = tmp_path / "out" / "kd" / "k8s" / "prod"
    (folder / "jobs").mkdir(parents=True)
    temp = tmp_path / "runner"
    calls = temp / "calls"
    fake_tool(temp, "kubectl", f'echo "$*" >> {calls}\n'
              'case "$1" in get) echo deployment.apps/kd-api ;; esac\n')
    ran = run_script(script.replace("cd out/kd/k8s/prod", f"cd {folder}"), tmp_path, {}, temp)
    assert ran.code == 0, ran.stderr
    lines = calls.read_text().splitlines()
    assert lines[2] == "get deployments,statefulsets,daemonsets -n kd -l app.kubernetes.io/part-of=kd -o name"
    assert lines[3] == "rollout status -n kd deployment.apps/kd-api --timeout=15m"
    assert lines[4].startswith("apply --server-side --field-manager=shipform --prune --applyset=shipform-kd-prod-jobs")


def test_a_first_environment_without_gitops_is_deployed_by_the_build_after_the_record(tmp_path):
    """A push made with the workflow's own token starts no workflow: the record's commit is deployed by a job of
    the same build, never by a workflow waiting for that push."""
    write_sources(tmp_path)
    source = KUBECTL.replace('Environment(app, "dev", local=True)',
                             'Environment(app, "dev", gitops="kubectl", cluster=Cluster.kubeconfig(), '
                             'tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))')
    files = render(exec_app(source.replace("CLUSTER", "Cluster.kubeconfig()"), tmp_path), tmp_path / "out")
    assert ".github/workflows/kd-deploy-dev.yaml" not in files and ".github/workflows/kd-deploy-prod.yaml" in files
    deploy = yaml.safe_load(files[".github/workflows/kd-build.yaml"])["jobs"]["deploy-dev"]
    assert deploy["needs"] == "record" and deploy["environment"] == "dev"
    assert deploy["if"] == "github.ref_type == 'branch'"  # a release tag's build names images deployed already
    assert deploy["steps"][0]["with"]["ref"] == "${{ needs.record.outputs.commit }}"
    assert deploy["concurrency"] == {"group": "kd-deploy-dev", "cancel-in-progress": False}


@pytest.mark.parametrize("env", ['Environment(app, "stage", gitops="kubectl")',
                                 'Environment(app, "stage", cluster=Cluster.kubeconfig())'])
def test_a_cluster_goes_with_gitops_kubectl_only(tmp_path, env):
    with pytest.raises(InvalidApp, match="'cluster' is needed exactly when gitops='kubectl'"):
        exec_app('from shipform import *\napp = App("kd", registry="ghcr.io/acme")\n' + env, tmp_path)
