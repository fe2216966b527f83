"""NetworkPolicies from the connects_to graph: a workload admits only its declared clients, each on the ports
it declared it uses, and reaches only its declared targets on those ports, plus cluster DNS."""

from __future__ import annotations

from typing import Any

from shipform import spec

DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def peer(w: spec.Workload, other: spec.Endpoint) -> dict[str, Any]:
    selector: dict[str, Any] = {"podSelector": {"matchLabels": other.selector}}
    if other.namespace != w.namespace:
        selector["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": other.namespace}}
    return selector


def by_place(endpoints: tuple[spec.Endpoint, ...]) -> list[spec.Endpoint]:
    return sorted(endpoints, key=lambda e: (e.namespace, e.name))


def tcp(ports: tuple[spec.Port, ...]) -> list[dict[str, Any]]:
    return [{"port": p.number, "protocol": "TCP"} for p in ports]


def ingress_rules(w: spec.Workload) -> list[dict[str, Any]]:
    """Each client on the ports it declared it uses; the ingress controller on the main port."""
    if w.port is None:
        return []
    main = w.ports[:1]
    rules: list[dict[str, Any]] = [{"from": [peer(w, c)], "ports": tcp(c.ports or main)} for c in by_place(w.clients)]
    if w.exposure is not None:
        controller = {"matchLabels": {"kubernetes.io/metadata.name": w.exposure.controller_namespace}}
        rules.append({"from": [{"namespaceSelector": controller}], "ports": tcp(main)})
    return rules


def egress_rules(w: spec.Workload) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"to": [DNS_PEER], "ports": DNS_PORTS}]
    for target in by_place(w.connects_to):
        assert target.ports, f"shipform bug: {w.path} connects to {target.name} on no port"  # [] would be all ports
        rules.append({"to": [peer(w, target)], "ports": tcp(target.ports)})
    for internet in w.egress_to_internet:
        rules.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}],
                      "ports": [{"port": internet.port, "protocol": "TCP"}]})
    return rules


def network_policy_spec(w: spec.Workload) -> dict[str, Any]:
    """Both directions are listed in policyTypes, so anything not allowed here is denied."""
    return {
        "podSelector": {"matchLabels": w.selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress_rules(w),
        "egress": egress_rules(w),
    }
