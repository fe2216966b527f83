"""Separate cloud identities for pushing images, reading them (the promotion) and deploying, each from variables of
its own, and the trust documents shipform writes for them (``trust/*.yaml``): for each registry cloud (ECR,
Artifact Registry, ACR) and each cluster cloud (EKS, GKE, AKS), the image job never names a deploy or read
variable, the deploy jobs never a push or read one, the promotion never a push or deploy one; each document's
audience is the login action's, its subject names the GitHub environment the jobs run in, its job_workflow_ref
the workflow files and refs the jobs run from (read off the rendered workflows, not recomputed); GCP's mapping,
evaluated by a CEL evaluator on the tokens the jobs present, names each job's identity and no other job's."""

from __future__ import annotations

import re
from typing import Any

import celpy
import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.render.registries import PURPOSES, identity_variable
from shipform.render.trust import gcp_attribute
from shipform.synth.pipeline import render

REGISTRY = {"ecr": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme", "gcp": "europe-docker.pkg.dev/acme/images",
            "acr": "acme.azurecr.io/shop"}
CLUSTER = {"eks": 'Cluster.eks("shop-prod", "eu-west-1")', "gke": 'Cluster.gke("shop-prod", "europe-west1")',
           "aks": 'Cluster.aks("shop-prod", "rg-shop")'}
CLOUD = {"ecr": "aws", "gcp": "gcp", "acr": "azure", "eks": "aws", "gke": "gcp", "aks": "azure"}
AUDIENCE = {"aws": "sts.amazonaws.com", "azure": "api://AzureADTokenExchange"}
# Same cloud for both (the variables must still differ) and each cloud's registry with another's cluster.
CASES = [("ecr", "eks"), ("gcp", "gke"), ("acr", "aks"), ("ecr", "aks"), ("gcp", "eks"), ("acr", "gke")]
APP = '''
from shipform import *
app = App("shop", registry=REGISTRY, version="1.0.0", repository="https://github.com/acme/shop.git",
          workflows="output", build_secrets=SECRETS)
UNPINNED = "nothing was promoted here yet"
envs = [Environment(app, "dev", gitops="kubectl", cluster=CLUSTER, namespace="shop-dev"),
        Environment(app, "stage", gitops="flux", unpinned_images=UNPINNED, destination=Destination(name="stage")),
        Environment(app, "prod", gitops="kubectl", cluster=CLUSTER, unpinned_images=UNPINNED)]
for env in envs:
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
'''
VARIABLE = {identity_variable(cloud, purpose): purpose  # type: ignore[arg-type]
            for cloud in ("aws", "gcp", "azure") for purpose in PURPOSES}
SHARED = {"GCP_WORKLOAD_IDENTITY_PROVIDER", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"}


def rendered(tmp_path, registry: str, cluster: str, secrets: str = "[]") -> dict[str, str]:
    source = (APP.replace("REGISTRY", repr(REGISTRY[registry])).replace("CLUSTER", CLUSTER[cluster])
              .replace("SECRETS", secrets))
    write_sources(tmp_path)
    return render(exec_app(source, tmp_path), tmp_path / "dist")


def jobs(files: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """{(workflow file, job id): job} of every generated workflow."""
    found = {}
    for path, text in files.items():
        if path.startswith(".github/workflows/"):
            for job_id, job in yaml.safe_load(text)["jobs"].items():
                found[(path.rsplit("/", 1)[1], job_id)] = job
    return found


def variables(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"vars\.(\w+)", yaml.safe_dump(job)))


def purposes(job: dict[str, Any]) -> set[str]:
    """The identities a job logs in as, by the variables it reads."""
    return {VARIABLE[v] for v in variables(job) if v in VARIABLE}


def trust(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {path: yaml.safe_load(text) for path, text in files.items() if path.startswith("trust/")}


def workflow(files: dict[str, str], name: str) -> dict[str, Any]:
    return yaml.safe_load(files[f".github/workflows/{name}"])


@pytest.mark.parametrize(("registry", "cluster"), CASES, ids=[f"{r}-{c}" for r, c in CASES])
def test_each_job_logs_in_as_its_own_identity(tmp_path, registry, cluster):
    found = jobs(rendered(tmp_path, registry, cluster))
    image = found[("shop-build.yaml", "image")]
    assert purposes(image) == {"push"}
    assert not any(v.startswith(("AWS_DEPLOY", "GCP_DEPLOY", "AZURE_DEPLOY")) for v in variables(image))
    for key in [("shop-build.yaml", "deploy-dev"), ("shop-deploy-prod.yaml", "deploy")]:
        assert purposes(found[key]) == {"deploy"}, key
        assert not any(v.startswith(("AWS_PUSH", "GCP_PUSH", "AZURE_PUSH")) for v in variables(found[key]))
    for name in ("shop-promote-dev-to-stage.yaml", "shop-promote-stage-to-prod.yaml"):
        assert purposes(found[(name, "promote")]) == {"read"}  # reads signatures: it pushes nothing
    assert purposes(found[("shop-ci.yaml", "lock-trust")]) == {"read"}  # CI checks the lock's digests: reads only
    assert purposes(found[("shop-patch.yaml", "scan")]) == {"read"}  # the rescan pulls what the Environments run
    assert not any(v in VARIABLE for key, job in found.items() for v in variables(job)
                   if key[1] not in ("image", "promote", "scan", "deploy", "deploy-dev", "lock-trust"))
    # No variable names two identities, and none of the shared ones names an identity at all.
    assert len(set(VARIABLE)) == 9 and not SHARED & set(VARIABLE)
    # The old shared variables are gone.
    assert not {"AWS_ROLE_ARN", "GCP_SERVICE_ACCOUNT", "AZURE_CLIENT_ID"} & {v for j in found.values()
                                                                            for v in variables(j)}


@pytest.mark.parametrize(("registry", "cluster"), CASES, ids=[f"{r}-{c}" for r, c in CASES])
def test_trust_documents_state_what_the_jobs_present(tmp_path, registry, cluster):
    files = rendered(tmp_path, registry, cluster)
    found = jobs(files)
    docs = trust(files)
    assert {d["identity"] for d in docs.values()} == {"push", "read", "deploy"}
    assert sorted(p for p, d in docs.items() if d["identity"] == "deploy") == \
        [f"trust/{CLOUD[cluster]}-deploy-dev.yaml", f"trust/{CLOUD[cluster]}-deploy-prod.yaml"]
    listed = set()
    for path, doc in docs.items():
        cloud = doc["cloud"]
        assert cloud == CLOUD[cluster if doc["identity"] == "deploy" else registry]
        assert path.startswith(f"trust/{cloud}-{doc['identity']}")
        assert doc["variable"] == identity_variable(cloud, doc["identity"])
        assert doc["issuer"] == "https://token.actions.githubusercontent.com"
        if cloud == "gcp":  # google-github-actions/auth's default audience: the provider's full resource name
            assert doc["audience"].startswith("https://iam.googleapis.com/projects/")
            assert doc["audience"].endswith("/providers/<PROVIDER>")
        else:
            assert doc["audience"] == AUDIENCE[cloud]
        for used in doc["used_by"]:
            file, job_id = used.split(": ")
            job = found[(file, job_id)]
            listed.add((file, job_id))
            assert doc["variable"] in variables(job)
            assert doc["subject"] == f"repo:acme/shop:environment:{job['environment']}"
            assert sorted(r for r in doc["job_workflow_ref"] if r.startswith(f"acme/shop/.github/workflows/{file}@")) \
                == sorted(f"acme/shop/.github/workflows/{file}@{ref}" for ref in runs_on(files, file, job))
        assert all(r.split("@")[0].rsplit("/", 1)[1] in {u.split(": ")[0] for u in doc["used_by"]}
                   for r in doc["job_workflow_ref"])
    logs_in = {key for key, job in found.items() if purposes(job)}
    assert logs_in == listed  # every job that logs in to a cloud has its trust document, and only those


def runs_on(files: dict[str, str], file: str, job: dict[str, Any]) -> list[str]:
    """The refs a job runs from, read off its workflow: the pushed branches and tags, narrowed by the job's own
    condition (a dispatch runs from the default branch only)."""
    on = workflow(files, file)["on"]
    if "workflow_call" in on:  # CI: on pull requests, and as the build (branch, release tags) and promotions call it
        callers = [runs_on(files, name, j) for (name, _), j in jobs(files).items()
                   if f"/{file}" in str(j.get("uses", ""))]
        return sorted({r for refs in callers for r in refs} | ({"refs/pull/*"} if "pull_request" in on else set()))
    condition = job.get("if", "")
    pushed_too = "github.event_name != 'workflow_dispatch' ||" in condition  # the build's call of CI
    default_only = "github.ref == 'refs/heads/main'" in condition or "github.ref_type == 'branch'" in condition
    if default_only and not pushed_too:
        return ["refs/heads/main"]
    refs = [f"refs/heads/{b}" for b in on.get("push", {}).get("branches", [])]
    return refs + [f"refs/tags/{t}" for t in on.get("push", {}).get("tags", [])]


def test_the_aws_trust_policy_conditions_on_audience_subject_and_workflow(tmp_path):
    docs = trust(rendered(tmp_path, "ecr", "eks"))
    push = docs["trust/aws-push.yaml"]
    statement = push["trust_policy"]["Statement"][0]
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/token.actions.githubusercontent.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                         "token.actions.githubusercontent.com:sub": "repo:acme/shop:environment:release"},
        "StringLike": {"token.actions.githubusercontent.com:job_workflow_ref": [
            "acme/shop/.github/workflows/shop-build.yaml@refs/heads/main",
            "acme/shop/.github/workflows/shop-build.yaml@refs/tags/v*",
            "acme/shop/.github/workflows/shop-build.yaml@refs/tags/shop/v*"]}}
    prod = docs["trust/aws-deploy-prod.yaml"]["trust_policy"]["Statement"][0]["Condition"]
    assert prod == {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                     "token.actions.githubusercontent.com:sub": "repo:acme/shop:environment:prod"},
                    "StringLike": {"token.actions.githubusercontent.com:job_workflow_ref": [
                        "acme/shop/.github/workflows/shop-deploy-prod.yaml@refs/heads/main"]}}
    dev = docs["trust/aws-deploy-dev.yaml"]["trust_policy"]["Statement"][0]["Condition"]
    assert dev["StringEquals"]["token.actions.githubusercontent.com:sub"] == "repo:acme/shop:environment:dev"
    assert dev["StringLike"]["token.actions.githubusercontent.com:job_workflow_ref"] == [
        "acme/shop/.github/workflows/shop-build.yaml@refs/heads/main"]


def token(sub: str, workflow_file: str, ref: str) -> dict[str, str]:
    return {"sub": f"repo:acme/shop:{sub}", "aud": "x", "repository": "acme/shop",
            "job_workflow_ref": f"acme/shop/.github/workflows/{workflow_file}@{ref}"}


GCP_TOKENS = [
    (token("environment:release", "shop-build.yaml", "refs/heads/main"), "push"),
    (token("environment:release", "shop-build.yaml", "refs/tags/v1.0.0"), "push"),
    (token("environment:release", "shop-build.yaml", "refs/tags/shop/v1.0.0"), "push"),
    (token("environment:release", "shop-promote-stage-to-prod.yaml", "refs/heads/main"), "read"),
    (token("environment:dev", "shop-build.yaml", "refs/heads/main"), "deploy-dev"),
    (token("environment:prod", "shop-deploy-prod.yaml", "refs/heads/main"), "deploy-prod"),
    # A branch's build, a pull request, the deploy workflow from another branch, another workflow in prod.
    (token("ref:refs/heads/feature", "shop-build.yaml", "refs/heads/feature"), "none"),
    (token("pull_request", "shop-ci.yaml", "refs/pull/1/merge"), "none"),
    (token("environment:prod", "shop-deploy-prod.yaml", "refs/heads/feature"), "none"),
    (token("environment:prod", "shop-build.yaml", "refs/heads/main"), "none"),
    (token("environment:release", "shop-ci.yaml", "refs/heads/main"), "none"),
    # CI's lock trust job: in its own GitHub environment, from a pull request or called by the build; not another
    # workflow in that environment, not CI in the release environment (above).
    (token("environment:lock-trust", "shop-ci.yaml", "refs/pull/7/merge"), "read-lock-trust"),
    (token("environment:lock-trust", "shop-ci.yaml", "refs/heads/main"), "read-lock-trust"),
    (token("environment:lock-trust", "shop-ci.yaml", "refs/tags/v1.0.0"), "read-lock-trust"),
    (token("environment:lock-trust", "shop-build.yaml", "refs/heads/main"), "none"),
    (token("environment:lock-trust", "shop-ci.yaml", "refs/heads/feature"), "none"),
]


@pytest.mark.parametrize(("claims", "expected"), GCP_TOKENS, ids=[f"{c['sub']}@{c['job_workflow_ref'].split('/')[-1]}"
                                                                   for c, _ in GCP_TOKENS])
def test_the_gcp_provider_maps_each_jobs_token_to_its_identity_only(gcp_docs, claims, expected):
    key = gcp_attribute("shop")
    provider = gcp_docs["trust/gcp-push.yaml"]["provider"]
    assert all(d["provider"] == provider for d in gcp_docs.values())  # one provider, the same in every document
    env = celpy.Environment()
    mapping = provider["attribute_mapping"]
    activation = {"assertion": celpy.json_to_cel(claims)}
    value = env.program(env.compile(mapping[f"attribute.{key}"])).evaluate(activation)
    assert value == expected
    admitted = env.program(env.compile(provider["attribute_condition"])).evaluate(
        {"attribute": celpy.json_to_cel({key: str(value)})})
    assert bool(admitted) == (expected != "none")
    members = {d["service_account_binding"]["member"].rsplit("/", 1)[1] for d in gcp_docs.values()}
    assert members == {"push", "read", "read-lock-trust", "deploy-dev", "deploy-prod"}
    assert mapping["google.subject"] == "assertion.sub"


@pytest.fixture(scope="module")
def gcp_docs(tmp_path_factory):
    return trust(rendered(tmp_path_factory.mktemp("gcp"), "gcp", "gke"))


def test_azure_credentials_match_the_subject_exactly_and_say_what_they_cannot_check(tmp_path):
    docs = trust(rendered(tmp_path, "acr", "aks"))
    push = docs["trust/azure-push.yaml"]
    assert push["federated_credential"] == {"name": "shop-push", "issuer": "https://token.actions.githubusercontent.com",
                                            "subject": "repo:acme/shop:environment:release",
                                            "audiences": ["api://AzureADTokenExchange"]}
    assert push["job_workflow_ref_checked"] is False
    assert "read" in push["note"] and "'release'" in push["note"]
    prod = docs["trust/azure-deploy-prod.yaml"]["federated_credential"]
    assert prod["subject"] == "repo:acme/shop:environment:prod" and "note" not in docs["trust/azure-deploy-prod.yaml"]


def test_the_image_job_runs_in_the_release_environment_for_a_cloud_registry(tmp_path):
    """Its subject is then one exact value on the default branch and on every release tag alike."""
    for registry in REGISTRY:
        found = jobs(rendered(tmp_path / registry, registry, "eks"))
        assert found[("shop-build.yaml", "image")]["environment"] == "release"


def test_no_trust_documents_without_a_github_repository_or_a_cloud(tmp_path):
    source = APP.replace(', repository="https://github.com/acme/shop.git"', "")
    source = source.replace("REGISTRY", repr(REGISTRY["ecr"])).replace("CLUSTER", CLUSTER["eks"]) \
        .replace("SECRETS", "[]")
    write_sources(tmp_path / "a")
    assert not trust(render(exec_app(source, tmp_path / "a"), tmp_path / "a" / "dist"))
    ghcr = APP.replace("REGISTRY", repr("ghcr.io/acme")).replace("CLUSTER", "Cluster.kubeconfig()") \
        .replace("SECRETS", "[]")
    write_sources(tmp_path / "b")
    assert not trust(render(exec_app(ghcr, tmp_path / "b"), tmp_path / "b" / "dist"))


def test_a_github_enterprise_server_repository_names_its_own_issuer(tmp_path):
    source = (APP.replace("https://github.com/acme/shop.git", "https://ghe.example.com/acme/shop.git")
              .replace("REGISTRY", repr(REGISTRY["ecr"])).replace("CLUSTER", CLUSTER["eks"]).replace("SECRETS", "[]"))
    write_sources(tmp_path)
    push = trust(render(exec_app(source, tmp_path), tmp_path / "dist"))["trust/aws-push.yaml"]
    assert push["issuer"] == "https://ghe.example.com/_services/token"
    statement = push["trust_policy"]["Statement"][0]
    assert statement["Principal"]["Federated"] == \
        "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/ghe.example.com/_services/token"
    assert statement["Condition"]["StringEquals"]["ghe.example.com/_services/token:sub"] == \
        "repo:acme/shop:environment:release"
