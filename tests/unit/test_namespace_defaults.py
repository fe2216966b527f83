"""Every SecureNamespace default and the isolation it provides before anything is deployed."""

from __future__ import annotations

import pytest
import yaml

from conftest import manifests
from shipform import Quota, Resources, SecureNamespace, Subject, WebService
from shipform.synth.pipeline import render


@pytest.fixture
def namespace(new_app):
    app, dev, _ = new_app()
    return app, dev, SecureNamespace(dev, "team")


def test_namespace_is_pod_security_restricted_with_a_pinned_version(namespace):
    _, dev, _ = namespace
    labels = manifests(dev)[("Namespace", "team")]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.33"


def test_default_deny_both_ways_plus_dns(namespace):
    _, dev, _ = namespace
    objects = manifests(dev)
    assert objects[("NetworkPolicy", "default-deny")]["spec"] == {"podSelector": {},
                                                                  "policyTypes": ["Ingress", "Egress"]}
    dns = objects[("NetworkPolicy", "allow-dns")]["spec"]
    assert dns["policyTypes"] == ["Egress"] and dns["podSelector"] == {}
    assert dns["egress"][0]["to"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert dns["egress"][0]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def test_quota_defaults(namespace):
    _, dev, _ = namespace
    assert manifests(dev)[("ResourceQuota", "quota")]["spec"]["hard"] == {
        "requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8", "limits.memory": "16Gi", "pods": "50",
        "persistentvolumeclaims": "10", "requests.storage": "100Gi", "services.loadbalancers": "0",
        "services.nodeports": "0"}


def test_limit_range_defaults(namespace):
    _, dev, _ = namespace
    assert manifests(dev)[("LimitRange", "container-defaults")]["spec"]["limits"] == [{
        "type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
        "default": {"cpu": "500m", "memory": "256Mi"}, "min": {"cpu": "10m", "memory": "16Mi"},
        "max": {"cpu": "4", "memory": "8Gi"}}]


def test_deployer_role_has_only_deploy_verbs_and_no_secrets_or_rbac(namespace):
    _, dev, _ = namespace
    objects = manifests(dev)
    rules = objects[("Role", "deployer")]["rules"]
    resources = {r for rule in rules for r in rule["resources"]}
    assert resources == {"configmaps", "serviceaccounts", "services", "deployments", "statefulsets", "cronjobs",
                         "jobs", "ingresses", "networkpolicies", "poddisruptionbudgets", "horizontalpodautoscalers"}
    assert all(rule["verbs"] == ["get", "list", "watch", "create", "update", "patch", "delete"] for rule in rules)
    assert ("RoleBinding", "deployer") not in objects  # no subject named, nobody bound
    assert ("Role", "viewer") not in objects
    assert not any(kind.startswith("Cluster") for kind, _ in objects)


def test_deployers_and_viewers_are_bound(new_app):
    _, dev, _ = new_app()
    SecureNamespace(dev, "team", deployers=[Subject.service_account("argocd", "argocd-application-controller")],
                    viewers=[Subject.group("devs"), Subject.user("ana@example.com")])
    objects = manifests(dev)
    assert objects[("RoleBinding", "deployer")]["subjects"] == [
        {"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": "argocd"}]
    assert objects[("RoleBinding", "viewer")]["subjects"] == [
        {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "User", "name": "ana@example.com", "apiGroup": "rbac.authorization.k8s.io"}]
    viewer = objects[("Role", "viewer")]["rules"]
    assert all(rule["verbs"] == ["get", "list", "watch"] for rule in viewer)
    assert {"pods", "pods/log", "events"} <= {r for rule in viewer for r in rule["resources"]}


def test_workloads_land_in_the_namespace_and_the_output_is_ordered(namespace, tmp_path):
    app, dev, ns = namespace
    WebService(ns, "api", image="nginx:1.27.3", port=8080)
    listed = yaml.safe_load(render(app, tmp_path)["k8s/dev/kustomization.yaml"])["resources"]
    kinds = [name.split("-")[0] for name in listed]
    assert kinds[:5] == ["namespace", "resourcequota", "limitrange", "serviceaccount", "role"]
    assert kinds.index("networkpolicy") < kinds.index("deployment")
    assert manifests(dev)[("Deployment", "api")]["metadata"]["namespace"] == "team"
    assert ("Namespace", "shop") not in manifests(dev)  # no workload outside the SecureNamespace


def test_quota_accounts_for_peak_replicas_and_rollout_surge(new_app, tmp_path):
    app, _, prod = new_app()
    ns = SecureNamespace(prod, "team", quota=Quota(cpu="1", cpu_limit="8"))
    WebService(ns, "api", image="nginx:1.27.3", port=8080, resources=Resources(cpu="250m"))
    render(app, tmp_path)  # 3 replicas + 1 surge = 4 x 250m = exactly 1 CPU: fits
    WebService(ns, "web", image="nginx:1.27.3", port=8080, resources=Resources(cpu="10m"))
    with pytest.raises(Exception, match=r"quota.cpu' is smaller than the workloads need at peak \(1040m"):
        render(app, tmp_path)
