"""NetworkPolicies from the connects_to graph: a workload admits only its declared clients, each on the ports
it declared it uses, and reaches only its declared targets on those ports, plus cluster DNS; then what its facets
admit and reach (their contributions, render.facets: the ingress controller, Prometheus, KEDA, Knative, source
ranges; the collector, the mesh's control plane, the internet)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render import contributions
from shipform.render import facets as _facets  # noqa: F401  (importing them registers the facets' contributions)
from shipform.render.network_peers import PUBLIC, platform_peer, tcp
from shipform.values import addresses

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


def ingress_rules(w: spec.Workload) -> list[dict[str, Any]]:
    """Each client on the ports it declared it uses (unless a front such as Knative's gateway receives the requests
    for the pods), then what the workload's facets admit (render.facets)."""
    main = w.ports[:1]
    clients = () if contributions.fronted(w) else w.clients
    rules: list[dict[str, Any]] = [{"from": [peer(w, replace(c, name=name)) for name in c.names],
                                    "ports": tcp(c.ports or main)} for c in by_place(clients)]
    for facet, contribution in contributions.of(w):
        if contribution.ingress is not None:
            rules += contribution.ingress(w, facet)
    return rules


def by_name(external: spec.ExternalAddress) -> bool:
    """A server outside the cluster known by its DNS name only (no address ranges given)."""
    return not external.cidrs and not addresses.is_address(external.host)


PUBLIC_ONLY = "shipform.dev/public-egress-only"
"""The NetworkPolicy annotation that names the servers its public-address rule may not reach (see public_only)."""


def public_only(w: spec.Workload, cilium: bool = False) -> list[spec.Endpoint]:
    """Servers outside the cluster ``w`` reaches by name at public addresses only though their name likely
    resolves to a private address (spec.ExternalAddress.private_hint); none under Cilium, which follows the name."""
    return [] if cilium else [t for t in by_place(w.connects_to) if t.external is not None
                              and t.external.private_hint is not None and by_name(t.external)]


def public_only_annotation(w: spec.Workload, cilium: bool = False) -> dict[str, str]:
    """What the NetworkPolicy says of each server it may not reach: never a silent public-only rule."""
    servers = public_only(w, cilium)
    if not servers:
        return {}
    return {PUBLIC_ONLY: "; ".join(f"{t.external.host}:{t.port} {t.external.private_hint}"  # type: ignore[union-attr]
                                   for t in servers) + ": reached at public addresses only (External cidrs= adds "
            "its private range)"}


def policy_annotations(w: spec.Workload, cilium: bool = False) -> dict[str, str]:
    """What the NetworkPolicy says beside its rules: servers it may not reach, and who else reaches the pods than
    the peers it admits (the facets' accepted risks of reach)."""
    annotations = public_only_annotation(w, cilium)
    for facet, contribution in contributions.of(w):
        if contribution.stated is not None:
            annotations.update(contribution.stated(w, facet))
    return annotations


def public_only_notes(app: spec.App) -> list[str]:
    """One line per External whose clients reach it at public addresses only though it is likely private."""
    lines = []
    for env in app.environments:
        clients: dict[tuple[str, str], tuple[spec.Endpoint, list[str]]] = {}
        for w in env.workloads:
            for t in public_only(w, env.cilium):
                clients.setdefault((t.namespace, t.name), (t, []))[1].append(w.name)
        for t, names in clients.values():
            assert t.external is not None
            lines.append(f"{app.name}/{env.name}: warning: External '{t.name}' ({t.external.host}) "
                         f"{t.external.private_hint}, and {', '.join(sorted(set(names)))} may reach it at public "
                         "addresses only. Fix: pass cidrs= with the subnet it is at, or Environment(cilium=True) "
                         "where the cluster runs Cilium (a toFQDNs rule follows its name)")
    return lines


def egress_rules(w: spec.Workload, cilium: bool = False) -> list[dict[str, Any]]:
    """With ``cilium``, DNS and the servers outside the cluster known by name are left to the CiliumNetworkPolicy
    (policies add up: a rule here for every public address, or for DNS without names, would make its name rules
    moot)."""
    rules: list[dict[str, Any]] = [] if cilium else [{"to": [DNS_PEER], "ports": DNS_PORTS}]
    for target in by_place(w.connects_to):
        assert target.ports, f"shipform bug: {w.path} connects to {target.name} on no port"  # [] would be all ports
        outside = target.external
        if target.through is not None:  # a Knative service: through its gateway
            rules.append({"to": [platform_peer(target.through)], "ports": tcp(target.through.ports)})
        elif outside is None:
            rules.append({"to": [peer(w, target)], "ports": tcp(target.ports)})
        elif outside.cidrs or addresses.is_address(outside.host):
            cidrs = outside.cidrs or (outside.host + ("/128" if ":" in outside.host else "/32"),)
            rules.append({"to": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": tcp(target.ports)})
        elif not cilium:
            rules.append({"to": PUBLIC, "ports": tcp(target.ports)})
    for facet, contribution in contributions.of(w):
        if contribution.egress is not None:
            rules += contribution.egress(w, facet)
    return rules


def network_policy_spec(w: spec.Workload, cilium: bool = False) -> dict[str, Any]:
    """Both directions are listed in policyTypes, so anything not allowed here is denied."""
    return {
        "podSelector": {"matchLabels": w.selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress_rules(w),
        "egress": egress_rules(w, cilium),
    }


CLUSTER_ZONE = "cluster.local"
"""The cluster's own DNS zone (the kubelet's default ``--cluster-domain``): the cluster DNS answers every name in
it itself and forwards none."""
SEARCH_LABELS = 2
"""The most labels a pod's search list adds before the zone (``<namespace>.svc``)."""


def fqdn_policy_spec(w: spec.Workload) -> dict[str, Any]:
    """Cilium's policy of a workload under Cilium: DNS through Cilium's proxy for the names it needs only, then
    each server outside the cluster it reaches by name, on its ports only. The NetworkPolicies then allow no DNS
    of their own to its pods (a layer-4 rule for the same port would void the names, Cilium's layer-7 docs)."""
    named = [t for t in by_place(w.connects_to) if t.external is not None and by_name(t.external)]
    dns = {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                            "k8s:k8s-app": "kube-dns"}}],
           "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": dns_names(named)}}]}
    return {"endpointSelector": {"matchLabels": w.selector}, "egress": [dns] + [
        {"toFQDNs": [{"matchName": t.external.host}],  # type: ignore[union-attr]
         "toPorts": [{"ports": [{"port": str(p.number), "protocol": "TCP"} for p in t.ports]}]} for t in named]}


def dns_names(named: list[spec.Endpoint]) -> list[dict[str, str]]:
    """The names a workload may look up: each External host it reaches by name, and the cluster's own zone, which
    the cluster DNS answers without forwarding (so no name there carries data out). The zone at every depth a
    lookup of the workload can reach: a resolver tries each name under its search suffixes first
    (``<name>.<namespace>.svc.cluster.local``, ``<name>.svc.cluster.local``, ...), and a refused try ends a glibc
    search, so those tries must be answered. ``*`` matches within one label."""
    hosts = sorted({t.external.host for t in named if t.external is not None})
    deepest = max([3, *(h.count(".") + 1 for h in hosts)]) + SEARCH_LABELS
    zone = [{"matchName": CLUSTER_ZONE}] + [{"matchPattern": "*." * depth + CLUSTER_ZONE}
                                           for depth in range(1, deepest + 1)]
    return [{"matchName": h} for h in hosts] + zone
