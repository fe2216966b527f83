"""Signature verification at admission: which Environments get ClusterImagePolicies and opt their Namespaces in,
what the policies say (the build workflow's identity as the promotion's verify step spells it, the issuer, bundles,
the predicate types), where they go for each GitOps provider, and what trivy's KSV-0125 statement says. Whether the
policies admit the right images is tests/unit/test_image_policy_replay.py."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from conftest import assert_match_crd_schemas, exec_app, write_sources
from shipform.errors import InvalidApp
from shipform.model.app_source import source_repository
from shipform.render import image_policy
from shipform.render.workflow_scripts import VERIFY
from shipform.synth.pipeline import render

APP = """
from shipform import *
app = App("shop", registry="ghcr.io/acme", version="1.4.2"REPOSITORY)
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", unpinned_images="a test app: its images are never pushed",
                   tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com")PROD)
for env in (dev, prod):  # one owner per namespace on a cluster: dev's is its own
    ns = SecureNamespace(env, "shop" if env is prod else "shop-dev")
    db = StatefulDB(ns, "db", engine="postgres", version="16", storage="1Gi")
    WebService(ns, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, health=Health.http("/healthz"),
               connects_to=[db])
"""
GITHUB = ', repository="https://github.com/acme/shop.git"'
IDENTITY = (r"^https://github\.com/acme/shop/\.github/workflows/shop-build\.yaml"
            r"@refs/(heads/main|tags/v.+|tags/shop/v.+)$")


def files_of(tmp_path, repository: str = GITHUB, prod: str = "") -> dict[str, str]:
    write_sources(tmp_path)
    source = APP.replace("REPOSITORY", repository).replace("PROD", prod)
    return render(exec_app(source, tmp_path), tmp_path / "out")


def objects(files: dict[str, str], kind: str) -> dict[str, dict]:
    return {path: yaml.safe_load(text) for path, text in files.items()
            if path.startswith("k8s/") and yaml.safe_load(text).get("kind") == kind}


def trivy_statement(files: dict[str, str], env: str) -> str:
    entries = yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
    [entry] = [e for e in entries if e["id"] == "KSV-0125" and f"k8s/{env}/**" in e["paths"]]
    return " ".join(entry["statement"].split())


def test_a_github_apps_other_environments_admit_only_signed_and_attested_builds(tmp_path):
    files = files_of(tmp_path)
    policies = objects(files, "ClusterImagePolicy")
    assert sorted(policies) == [f"k8s/prod/clusterimagepolicy-shop-prod-{role}.yaml"
                                for role in ("provenance", "signature", "third-party")]
    assert_match_crd_schemas(list(policies.values()))
    signature = policies["k8s/prod/clusterimagepolicy-shop-prod-signature.yaml"]["spec"]
    provenance = policies["k8s/prod/clusterimagepolicy-shop-prod-provenance.yaml"]["spec"]
    assert signature["images"] == provenance["images"] == [{"glob": "ghcr.io/acme/shop-api:*"},
                                                           {"glob": "ghcr.io/acme/shop-api@*"}]
    subject = {"issuer": "https://token.actions.githubusercontent.com", "subjectRegExp": IDENTITY}
    # cosign's signature from the public-good instance; provenance from it or from GitHub's (a private repository).
    assert [(a["name"], a["keyless"]["url"], a["keyless"]["identities"], a["signatureFormat"], a["attestations"])
            for a in signature["authorities"]] == [
        ("public-good", "https://fulcio.sigstore.dev", [subject], "bundle",
         [{"name": "signature", "predicateType": "https://sigstore.dev/cosign/sign/v1"}])]
    assert [(a["name"], a["keyless"]["url"], a["keyless"].get("trustRootRef"), a["keyless"]["identities"],
             a["attestations"]) for a in provenance["authorities"]] == [
        (name, url, root, [subject], [{"name": "provenance", "predicateType": "https://slsa.dev/provenance/v1"}])
        for name, url, root in (("github", "https://fulcio.githubapp.com", "github"),
                                ("public-good", "https://fulcio.sigstore.dev", None))]
    third = policies["k8s/prod/clusterimagepolicy-shop-prod-third-party.yaml"]["spec"]
    assert third["authorities"] == [{"name": "third-party", "static": {"action": "pass"}}]
    assert {g["glob"].split("@")[0].split(":")[0] for g in third["images"]} == {"index.docker.io/library/postgres"}


def test_the_namespaces_of_a_verified_environment_opt_in_and_the_local_ones_do_not(tmp_path):
    files = files_of(tmp_path)
    prod = yaml.safe_load(files["k8s/prod/namespace-shop.yaml"])["metadata"]["labels"]
    dev = yaml.safe_load(files["k8s/dev/namespace-shop-dev.yaml"])["metadata"]["labels"]
    assert prod["policy.sigstore.dev/include"] == "true" and "policy.sigstore.dev/include" not in dev
    assert not any(p.startswith("k8s/dev/clusterimagepolicy") for p in files)


def test_the_identity_is_the_one_the_promotions_verify_step_accepts(tmp_path):
    """The same regular expression as the generated verify script's, for the build workflow the workflows write."""
    files = files_of(tmp_path, GITHUB.replace("shop.git", "shop.git") + ', workflows="output"')
    assert image_policy.build_workflow("shop") in files
    script = VERIFY.split("\nissuer=")[0] + '\nprintf "%s" "$identity"'
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop", "BRANCH": "main",
           "APP": "shop", "WORKFLOW": image_policy.build_workflow("shop"), "PATH": "/usr/bin:/bin"}
    assert subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=True).stdout \
        == IDENTITY
    assert trivy_statement(files, "prod").count("shop-prod-") == 3


@pytest.mark.parametrize(("url", "found"), [
    ("https://github.com/acme/shop.git", ("https://github.com", "acme/shop")),
    ("https://github.com/acme/shop", ("https://github.com", "acme/shop")),
    ("git@github.com:acme/shop.git", ("https://github.com", "acme/shop")),
    ("ssh://git@github.com/acme/shop.git", ("https://github.com", "acme/shop")),
    ("https://github.example.com/acme/shop.git", ("https://github.example.com", "acme/shop")),
    ("https://github.example.com:8443/acme/shop.git", ("https://github.example.com:8443", "acme/shop")),
    ("ssh://git@github.example.com:2222/acme/shop.git", ("https://github.example.com", "acme/shop")),
    ("https://gitlab.example.com/group/sub/shop.git", None),
])
def test_the_repository_is_read_from_the_apps_url_as_github_actions_names_it(url, found):
    """GITHUB_SERVER_URL and GITHUB_REPOSITORY of the repository: a GitHub Enterprise host is the server."""
    assert source_repository(url) == found


def test_github_enterprise_hosts_are_the_identitys_server(tmp_path):
    files = files_of(tmp_path, ', repository="git@github.example.com:acme/shop.git", branch="trunk"')
    policy = yaml.safe_load(files["k8s/prod/clusterimagepolicy-shop-prod-signature.yaml"])
    [identity] = policy["spec"]["authorities"][0]["keyless"]["identities"]
    assert identity["subjectRegExp"] == IDENTITY.replace(r"github\.com", r"github\.example\.com").replace(
        "heads/main", "heads/trunk")
    assert re.search(identity["subjectRegExp"],
                     "https://github.example.com/acme/shop/.github/workflows/shop-build.yaml@refs/heads/trunk")


@pytest.mark.parametrize(("repository", "prod", "why"), [
    ("", "", "the App names no GitHub repository (App(repository=...)) whose build workflow signs its images"),
    (', repository="https://gitlab.example.com/group/sub/shop.git"', "",
     "the App names no GitHub repository (App(repository=...)) whose build workflow signs its images"),
    (GITHUB, ', unsigned_images="the cluster runs no policy-controller yet"',
     "it states unsigned_images: the cluster runs no policy-controller yet"),
])
def test_without_a_signing_repository_or_with_unsigned_images_nothing_is_claimed(tmp_path, repository, prod, why):
    files = files_of(tmp_path, repository, prod)
    assert objects(files, "ClusterImagePolicy") == {}
    assert "policy.sigstore.dev/include" not in files["k8s/prod/namespace-shop.yaml"]
    assert trivy_statement(files, "prod") == (
        "Which registries are trusted is an organisation's allow-list; trivy's default list names none of them. "
        f"shipform renders no image policy for this Environment: {why}.")
    assert "enforced at admission" not in files[".trivyignore.yaml"]


def test_the_trivy_statement_names_each_policy_and_what_it_admits(tmp_path):
    statement = trivy_statement(files_of(tmp_path), "prod")
    assert statement.startswith("Images are admitted into this Environment's namespaces (labelled "
                                "policy.sigstore.dev/include) by sigstore's policy-controller: ClusterImagePolicies "
                                "shop-prod-signature and shop-prod-provenance admit the images the app builds "
                                "(ghcr.io/acme/shop-api) only with a cosign signature and a SLSA provenance "
                                "attestation made by https://github.com/acme/shop/.github/workflows/shop-build.yaml "
                                "on main or a release tag")
    assert "shop-prod-third-party admits the third-party images: index.docker.io/library/postgres by repository" \
        in statement
    assert trivy_statement(files_of(tmp_path), "dev").endswith(
        "it is the local Environment (images built on a developer's machine are not signed).")


@pytest.mark.parametrize(("prod", "folder"), [(', gitops="flux"', "gitops/flux/"),
                                            (', gitops="flux", destination=Destination(name="prod")',
                                             "gitops/flux/prod/")])
def test_flux_applies_the_policies_first_by_a_kustomization_of_their_own(tmp_path, prod, folder):
    files = files_of(tmp_path, prod=prod)
    assert sorted(p for p in files if p.startswith("k8s/prod/admission/")) == [
        "k8s/prod/admission/clusterimagepolicy-shop-prod-provenance.yaml",
        "k8s/prod/admission/clusterimagepolicy-shop-prod-signature.yaml",
        "k8s/prod/admission/clusterimagepolicy-shop-prod-third-party.yaml", "k8s/prod/admission/kustomization.yaml"]
    assert not any("clusterimagepolicy" in r for r in yaml.safe_load(files["k8s/prod/kustomization.yaml"])["resources"])
    admission = yaml.safe_load(files[f"{folder}kustomization-flux-system-shop-prod-admission.yaml"])
    main = yaml.safe_load(files[f"{folder}kustomization-flux-system-shop-prod.yaml"])
    assert admission["spec"]["path"] == main["spec"]["path"] + "/admission"
    assert main["spec"]["dependsOn"] == [{"name": "shop-prod-admission"}]
    # Applied as the Environment's account, like the rest: its ClusterRole names each policy, and nothing else of
    # the kind.
    assert admission["spec"]["serviceAccountName"] == main["spec"]["serviceAccountName"] == "flux-shop-prod"
    role = yaml.safe_load(files[f"{folder}clusterrole-flux-shop-prod.yaml"])
    [rule] = [r for r in role["rules"] if r["apiGroups"] == ["policy.sigstore.dev"]]
    assert rule == {"apiGroups": ["policy.sigstore.dev"], "resources": ["clusterimagepolicies"],
                    "verbs": ["get", "create", "update", "patch", "delete"],
                    "resourceNames": [f"shop-prod-{r}" for r in ("provenance", "signature", "third-party")]}


def test_argo_cds_project_admits_the_policies_by_name_on_the_environments_destination(tmp_path):
    files = files_of(tmp_path, prod=', destination=Destination(name="prod")')
    project = yaml.safe_load(files["gitops/argocd/appproject-argocd-shop-prod.yaml"])["spec"]
    assert [w for w in project["clusterResourceWhitelist"] if w["kind"] == "ClusterImagePolicy"] == [
        {"group": "policy.sigstore.dev", "kind": "ClusterImagePolicy", "name": f"shop-prod-{r}"}
        for r in ("provenance", "signature", "third-party")]
    application = yaml.safe_load(files["gitops/argocd/application-argocd-shop-prod.yaml"])["spec"]
    assert application["destination"]["name"] == "prod" and project["destinations"] == [
        {"name": "prod", "namespace": "shop"}]
    dev = yaml.safe_load(files["gitops/argocd/appproject-argocd-shop-dev.yaml"])["spec"]
    assert not any(w["kind"] == "ClusterImagePolicy" for w in dev["clusterResourceWhitelist"])


def test_kubectl_applies_the_policies_with_the_cluster_scoped_objects_before_the_namespaces_own(tmp_path):
    files = files_of(tmp_path, prod=', gitops="kubectl", cluster=Cluster.kubeconfig()')
    deploy = yaml.safe_load(files[".github/workflows/shop-deploy-prod.yaml"]) \
        if ".github/workflows/shop-deploy-prod.yaml" in files else None
    script = deploy["jobs"]["deploy"]["steps"][-1]["run"] if deploy else ""
    if not script:  # the build deploys the first Environment; prod has its own workflow
        pytest.fail(f"no deploy workflow for prod among {sorted(p for p in files if 'workflows' in p)}")
    first = script.split("--prune")[0]
    assert "clusterimagepolicy-shop-prod-signature.yaml" in first and "namespace-shop.yaml" in first


@pytest.mark.parametrize(("snippet", "path", "message"), [
    ('other = App("other", registry="ghcr.io/acme")\n'
     'Environment(other, "dev", local=True, unsigned_images="the cluster runs no policy-controller yet")',
     "other/dev", "other/dev: 'unsigned_images' is for Environments that are not local: a local one has no image "
     "policy (its images are built on a developer's machine, unsigned), got 'the cluster runs no policy-controller "
     "yet'. Fix: drop it here"),
    ('Environment(app, "stage", unsigned_images="later")', "shop/stage",
     "shop/stage: 'unsigned_images' must say why the Environment admits images without their signature, in one "
     "line, got 'later'. Fix: write e.g. 'the cluster runs no policy-controller yet'"),
])
def test_unsigned_images_needs_a_reason_and_a_cluster(tmp_path, snippet, path, message):
    write_sources(tmp_path)
    with pytest.raises(InvalidApp) as raised:
        render(exec_app(APP.replace("REPOSITORY", GITHUB).replace("PROD", "") + snippet, tmp_path), tmp_path / "out")
    assert [str(e) for e in raised.value.problems if e.path == path] == [message]
