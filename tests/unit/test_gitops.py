"""GitOps objects: valid against the published CRD schemas, pointing at each Environment's folder in the
repository, pruning and self-healing."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft7Validator

from conftest import DIST, REPO

SCHEMAS = REPO / "tests" / "crd_schemas"


def schema_for(manifest: dict) -> dict:
    group, version = manifest["apiVersion"].split("/")
    return json.loads((SCHEMAS / group / f"{manifest['kind'].lower()}_{version}.json").read_text())


@pytest.fixture(scope="module")
def gitops(platform_app) -> list[dict]:
    shop = [yaml.safe_load(p.read_text()) for p in sorted((DIST / "shop" / "gitops").rglob("*.yaml"))]
    platform = [yaml.safe_load(t) for p, t in sorted(platform_app[1].items()) if p.startswith("gitops/")]
    return shop + platform


def test_every_gitops_object_is_valid_against_its_crd_schema(gitops):
    kinds = sorted({m["kind"] for m in gitops})
    assert kinds == ["Application", "GitRepository", "Kustomization"]
    for manifest in gitops:
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
