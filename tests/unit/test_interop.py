"""cdk8s objects beside shipform's: raw ApiObjects and cdk8s-plus constructs created in an Environment (or in a
SecureNamespace of it) are written one per file like shipform's own, listed in the kustomization that Argo CD
and Flux apply, land in the namespace they were created in, and the namespace's deployer Role may apply them."""

from __future__ import annotations

import cdk8s
import cdk8s_plus_33 as kplus
import pytest
import yaml

from shipform import App, Destination, Environment, SecureNamespace, Subject, WebService
from shipform.testing import find_object, objects, synthesize

ARGOCD = Subject.service_account("argocd", "argocd-application-controller")


def kustomization(files: dict[str, str], env: str) -> list[str]:
    return yaml.safe_load(files[f"k8s/{env}/kustomization.yaml"])["resources"]


@pytest.fixture
def mixed(app_root):
    """An app whose Environments hold shipform workloads, cdk8s-plus constructs and raw ApiObjects."""
    app = App("mix", registry="ghcr.io/acme", version="1.0.0", root=app_root,
              repository="https://github.com/acme/mix.git")
    stage = Environment(app, "stage", gitops="flux", destination=Destination(name="stage"))  # its own cluster
    for env in (Environment(app, "prod"), stage):
        ns = SecureNamespace(env, "team", deployers=[ARGOCD])
        WebService(ns, "api", image="nginx:1.27.3", port=8080)
        kplus.Deployment(ns, "legacy", containers=[kplus.ContainerProps(image="nginx:1.27.3", port_number=8080)])
        cdk8s.ApiObject(ns, "monitor", api_version="monitoring.coreos.com/v1", kind="ServiceMonitor",
                        metadata={"name": "api"})
        cdk8s.ApiObject(ns, "token", api_version="v1", kind="Secret", metadata={"name": "token"})
        cdk8s.ApiObject(ns, "reader", api_version="rbac.authorization.k8s.io/v1", kind="ClusterRole",
                        metadata={"name": "mix-reader"})
        cdk8s.ApiObject(env, "flags", api_version="v1", kind="ConfigMap", metadata={"name": "flags"})
    return app


def test_cdk8s_plus_and_raw_objects_are_written_listed_and_namespaced(mixed):
    files = synthesize(mixed)
    for env in ("prod", "stage"):
        legacy = [o for o in objects(files, "Deployment", env=env) if "legacy" in o["metadata"]["name"]]
        assert len(legacy) == 1 and legacy[0]["metadata"]["namespace"] == "team"  # created in the SecureNamespace
        assert find_object(files, "ServiceMonitor", "api", "team", env)
        assert find_object(files, "ConfigMap", "flags", "mix", env)  # created in the Environment: its default
        assert "namespace" not in find_object(files, "ClusterRole", "mix-reader", env=env)["metadata"]
        listed = kustomization(files, env)
        for kind, namespace, name in (("deployment", "team", legacy[0]["metadata"]["name"]),
                                      ("servicemonitor", "team", "api"), ("configmap", "mix", "flags"),
                                      ("clusterrole", None, "mix-reader"), ("deployment", "team", "api")):
            assert (f"{kind}-{namespace}-{name}.yaml" if namespace else f"{kind}-{name}.yaml") in listed


def test_the_gitops_objects_apply_the_folder_that_holds_them(mixed):
    files = synthesize(mixed)
    application = yaml.safe_load(next(text for path, text in files.items() if path.startswith("gitops/argocd/")))
    assert application["spec"]["source"]["path"].endswith("k8s/prod")
    flux = [yaml.safe_load(text) for path, text in files.items() if path.startswith("gitops/flux/stage/kustomization")]
    assert [k["spec"]["path"].rsplit("/", 2)[-2:] for k in flux if k["metadata"]["name"] == "mix-stage"] == [
        ["k8s", "stage"]]


def test_the_deployer_role_covers_their_kinds_but_never_secrets_or_rbac(mixed):
    files = synthesize(mixed)
    rules = find_object(files, "Role", "deployer", "team", "prod")["rules"]
    granted = {(r["apiGroups"][0], resource) for r in rules for resource in r["resources"]}
    assert {("apps", "deployments"), ("monitoring.coreos.com", "servicemonitors"), ("", "services")} <= granted
    assert not {resource for _, resource in granted} & {"secrets", "roles", "rolebindings", "clusterroles"}


def test_pluralization_of_kinds_shipform_does_not_know():
    from shipform.render.namespaces import resource_of

    assert resource_of("example.com/v1", "Policy") == ("example.com", "policies")
    assert resource_of("example.com/v1", "Gateway") == ("example.com", "gateways")
    assert resource_of("networking.k8s.io/v1", "Ingress") == ("networking.k8s.io", "ingresses")
    assert resource_of("example.com/v1", "Ingress") == ("example.com", "ingresses")  # a CRD of the same kind name
    assert resource_of("example.com/v1alpha1", "Mesh") == ("example.com", "meshes")
    assert resource_of("v1", "Secret") is None
