"""GitOps objects: valid against the published CRD schemas, pointing at each Environment's folder in the
repository, pruning and self-healing; GitOps providers are a table a test can add to."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft7Validator

from conftest import DIST, REPO
from shipform import DataStorage, Environment, Migration, StatefulDB, WebService
from shipform.errors import ShipformError
from shipform.providers.gitops import GITOPS
from shipform.providers.gitops.protocol import annotated
from shipform.testing import objects, synthesize
from shipform.validators.manifests import CRD_SCHEMAS

SCHEMAS = CRD_SCHEMAS


def schema_for(manifest: dict) -> dict:
    group, version = manifest["apiVersion"].split("/")
    return json.loads((SCHEMAS / group / f"{manifest['kind'].lower()}_{version}.json").read_text())


@pytest.fixture(scope="module")
def gitops(platform_app) -> list[dict]:
    shop = [yaml.safe_load(p.read_text()) for p in sorted((DIST / "shop" / "gitops").rglob("*.yaml"))]
    platform = [yaml.safe_load(t) for p, t in sorted(platform_app[1].items()) if p.startswith("gitops/")]
    return shop + platform


def test_every_gitops_object_is_valid_against_its_crd_schema(gitops):
    custom = [m for m in gitops if "." in m["apiVersion"].split("/")[0] and not m["apiVersion"].startswith("rbac.")]
    assert sorted({m["kind"] for m in custom}) == ["AppProject", "Application", "GitRepository", "Kustomization"]
    for manifest in custom:
        assert list(Draft7Validator(schema_for(manifest)).iter_errors(manifest)) == [], manifest["metadata"]


def test_argo_cd_applications_prune_self_heal_and_point_at_the_environment_folder(gitops):
    shop = [m for m in gitops if m["kind"] == "Application" and m["metadata"]["name"].startswith("shop-")]
    assert [m["spec"]["source"]["path"] for m in shop] == ["dist/shop/k8s/dev", "dist/shop/k8s/prod"]
    for m in shop:
        assert m["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert m["spec"]["source"]["repoURL"] == "https://github.com/acme/shop.git"
        assert (REPO / m["spec"]["source"]["path"] / "kustomization.yaml").is_file()


def test_flux_kustomizations_prune_wait_and_follow_the_git_repository(gitops):
    flux = {m["metadata"]["name"]: m for m in gitops if m["kind"] in ("GitRepository", "Kustomization")}
    assert flux["mixed"]["spec"]["ref"] == {"branch": "main"}
    main = flux["mixed-stage"]["spec"]
    assert main["prune"] is True and main["wait"] is True and main["sourceRef"] == {"kind": "GitRepository",
                                                                                   "name": "mixed"}


class Steps:
    """A GitOps provider of the test suite's own: it names each object's phase in an annotation and points its
    controller at the folder with one ConfigMap. Registering it is all shipform needs."""

    name = "steps"
    default_namespace = "steps-system"
    hooks = True
    from_ci = False
    jobs_folder = None
    admission_folder = None
    destinations = ("name",)
    destination_note = destination_fix = ""

    def folder(self, env):
        return ""

    def order(self, objects):
        return [annotated(o, {"steps.example.com/phase": o.phase}) for o in objects]

    def controller_objects(self, app, env, source, path, has_jobs, objects):
        return [{"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": f"{app.name}-{env.name}", "namespace": env.gitops_namespace},
                 "data": {"url": source.url, "path": path}}]


@pytest.fixture
def steps():
    GITOPS.register(Steps())
    yield
    GITOPS.unregister("steps")


def test_a_gitops_provider_registered_by_the_tests_alone_orders_the_output(steps, new_app):
    app, _, _ = new_app(repository="https://github.com/acme/shop.git")
    ordered = Environment(app, "steps", gitops="steps", plain_databases="a test of the ordering step alone",
                          data_storage=DataStorage("ebs.csi.aws.com"))
    db = StatefulDB(ordered, "db", engine="postgres", version="16")
    WebService(ordered, "api", image="nginx:1.27.3", port=80, connects_to=[db],
               migrate=Migration(["python", "-m", "migrate"]))
    files = synthesize(app)
    phases = {(o["kind"], o["metadata"]["name"]): o["metadata"]["annotations"]["steps.example.com/phase"]
              for o in objects(files, env="steps")}
    assert phases[("Namespace", "shop")] == phases[("ServiceAccount", "api")] == "foundation"
    assert phases[("StatefulSet", "db")] == phases[("Service", "db")] == "data"
    assert phases[("Job", "api-migrate")] == "migration"  # the provider runs hooks: the migration is a Job
    assert phases[("Deployment", "api")] == "workload"
    pointer = yaml.safe_load(files["gitops/steps/configmap-steps-system-shop-steps.yaml"])
    assert pointer["data"] == {"url": "https://github.com/acme/shop.git", "path": "dist/shop/k8s/steps"}


def test_a_misspelt_gitops_provider_gets_the_nearest_name(new_app):
    app, _, _ = new_app()
    with pytest.raises(ShipformError) as err:
        Environment(app, "stage", gitops="fluxx", data_storage=DataStorage("ebs.csi.aws.com"))
    assert str(err.value) == ("shop/stage: 'gitops' must be one of 'argocd', 'flux', 'kubectl', got 'fluxx'. "
                              "Fix: did you mean 'flux'? pass one of 'argocd', 'flux', 'kubectl'")
