"""NetworkPolicies from the connects_to graph: a workload admits only its declared clients on its own
port, and reaches only its declared targets on theirs, plus cluster DNS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipform.workload import Workload

DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def peer(source: Workload, other: Workload) -> dict[str, Any]:
    selector: dict[str, Any] = {"podSelector": {"matchLabels": other.selector}}
    if other.namespace != source.namespace:
        selector["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": other.namespace}}
    return selector


def clients_of(w: Workload) -> list[Workload]:
    return sorted((c for c in w.environment.workloads if w in c.connects_to), key=lambda c: (c.namespace, c.name))


def ingress_rules(w: Workload, public: bool) -> list[dict[str, Any]]:
    if w.port is None:
        return []
    ports = [{"port": w.port, "protocol": "TCP"}]
    rules = [{"from": [peer(w, c)], "ports": ports} for c in clients_of(w)]
    if public:
        controller = {"matchLabels": {"kubernetes.io/metadata.name": w.environment.ingress_namespace}}
        rules.append({"from": [{"namespaceSelector": controller}], "ports": ports})
    return rules


def egress_rules(w: Workload) -> list[dict[str, Any]]:
    rules = [{"to": [DNS_PEER], "ports": DNS_PORTS}]
    for target in sorted(w.connects_to, key=lambda t: (t.namespace, t.name)):
        rules.append({"to": [peer(w, target)], "ports": [{"port": target.port, "protocol": "TCP"}]})
    return rules + w.external_egress()


def network_policy(w: Workload, public: bool = False) -> dict[str, Any]:
    """Both directions are listed in policyTypes, so anything not allowed here is denied."""
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": w.selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress_rules(w, public),
        "egress": egress_rules(w),
    }
    return {"metadata": w.metadata(), "spec": spec}
