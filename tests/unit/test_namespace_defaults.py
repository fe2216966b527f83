"""Every SecureNamespace default and the isolation it provides before anything is deployed."""

from __future__ import annotations

import pytest
import yaml

from conftest import manifests
from shipform import (
    Autoscale,
    Backup,
    CronJob,
    Quota,
    Resources,
    SecretStore,
    SecureNamespace,
    StatefulDB,
    Subject,
    WebService,
)
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
        "services.nodeports": "0", "requests.ephemeral-storage": "50Gi", "limits.ephemeral-storage": "50Gi",
        "configmaps": "100", "secrets": "100", "services": "50"}


def test_limit_range_defaults(namespace):
    _, dev, _ = namespace
    assert manifests(dev)[("LimitRange", "container-defaults")]["spec"]["limits"] == [{
        "type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
        "default": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "64Mi"},
        "min": {"cpu": "10m", "memory": "16Mi"},
        "max": {"cpu": "4", "memory": "8Gi"}}]


def test_without_deployers_or_viewers_there_is_no_role(namespace):
    _, dev, ns = namespace
    WebService(ns, "api", image="nginx:1.27.3", port=8080)
    objects = manifests(dev)
    assert not any(kind in ("Role", "RoleBinding") or kind.startswith("Cluster") for kind, _ in objects)


def test_the_deployer_role_grants_exactly_the_kinds_deployed_into_the_namespace(new_app):
    _, _, prod = new_app()
    prod.secret_store = SecretStore("vault")
    team = SecureNamespace(prod, "team", deployers=[Subject.group("ci")])
    db = StatefulDB(team, "db", engine="postgres", version="16",
                    backup=Backup(schedule="@daily", in_cluster="a test app: its dumps matter to nobody"))
    WebService(team, "api", image="nginx:1.27.3", port=8080, connects_to=[db], public=True,
               autoscale=Autoscale(min=2, max=4))
    CronJob(team, "report", image="busybox:1.37.0", schedule="@daily")
    objects = manifests(prod)
    rules = objects[("Role", "deployer")]["rules"]
    granted = {(group, r) for rule in rules for group in rule["apiGroups"] for r in rule["resources"]}
    emitted = {o["kind"] for (kind, _), o in objects.items() if o["metadata"].get("namespace") == "team"
               and kind not in ("Namespace", "ResourceQuota", "LimitRange", "Role", "RoleBinding")}
    assert emitted == {"ServiceAccount", "NetworkPolicy", "Service", "Deployment", "StatefulSet", "CronJob",
                       "PersistentVolumeClaim", "ExternalSecret", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                       "Ingress", "Certificate"}
    assert granted == {("", "serviceaccounts"), ("", "services"), ("", "persistentvolumeclaims"),
                       ("networking.k8s.io", "networkpolicies"), ("networking.k8s.io", "ingresses"),
                       ("apps", "deployments"), ("apps", "statefulsets"), ("batch", "cronjobs"),
                       ("external-secrets.io", "externalsecrets"), ("autoscaling", "horizontalpodautoscalers"),
                       ("policy", "poddisruptionbudgets"), ("cert-manager.io", "certificates")}
    assert all(rule["verbs"] == ["get", "list", "watch", "create", "update", "patch", "delete"] for rule in rules)
    assert not any(r in ("secrets", "roles", "rolebindings") for _, r in granted)


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
    assert kinds[:4] == ["namespace", "resourcequota", "limitrange", "serviceaccount"]
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
