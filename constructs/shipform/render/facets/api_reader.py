"""Reading the Kubernetes API (the ApiReader facet): a ClusterRole of get, list and watch on the named core
resources and its binding to the workload's ServiceAccount, both cluster-scoped (the GitOps scoping lists them by
name, as every cluster-scoped object of the output), and egress to the API server's addresses on its port."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import tcp_numbers
from shipform.spec.plan import ObjectKey, Planned

RBAC = "rbac.authorization.k8s.io"
VERBS = ("get", "list", "watch")
"""Reading only: no create, update, delete, and no access to Secrets or any other resource."""
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
"""Where clients of the API look for the token, the CA and the namespace."""
TOKEN_SECONDS = 3600
"""The projected token's life: the kubelet renews it before it ends, and a leaked one dies within the hour."""


def _absent(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(spec.ApiReader) is not None else f"{w.name} reads nothing of the Kubernetes API"


def role_rules(reader: spec.ApiReader) -> list[dict[str, Any]]:
    return [{"apiGroups": [""], "resources": list(reader.resources), "verbs": list(VERBS)}]


def _role(w: spec.Workload) -> list[Planned]:
    reader = w.facet(spec.ApiReader)
    assert reader is not None
    return [Planned(ObjectKey("api-role", f"{RBAC}/v1", "ClusterRole", reader.role, ""), w.labels,
                    lambda: {"rules": role_rules(reader)})]


def _binding(w: spec.Workload) -> list[Planned]:
    reader = w.facet(spec.ApiReader)
    assert reader is not None
    subject = {"kind": "ServiceAccount", "name": w.name, "namespace": w.namespace}
    return [Planned(ObjectKey("api-binding", f"{RBAC}/v1", "ClusterRoleBinding", reader.role, ""), w.labels,
                    lambda: {"roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": reader.role},
                             "subjects": [subject]})]


def token_volume(name: str) -> dict[str, Any]:
    """What the kubelet would mount with automountServiceAccountToken, for this container alone and with a
    token of an hour: the token, the cluster's CA and the pod's namespace."""
    return {"name": name, "projected": {"defaultMode": 0o444, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": TOKEN_SECONDS}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}


def egress(w: spec.Workload, reader: spec.ApiReader) -> NetworkRules:
    return [{"to": [{"ipBlock": {"cidr": c}} for c in reader.cidrs], "ports": tcp_numbers((reader.port,))}]


CONTRIBUTION = Contribution(spec.ApiReader, rules=(Rule("api-role", _absent, objects=_role),
                                                   Rule("api-binding", _absent, objects=_binding)), egress=egress)
