"""NetworkPolicies from the connects_to graph: a workload admits only its declared clients, each on the ports
it declared it uses, and reaches only its declared targets on those ports, plus cluster DNS."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render.mesh import control_plane_ports

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


def platform_peer(platform: spec.PlatformPeer) -> dict[str, Any]:
    """The pods of a cluster component in its namespace (both selectors in one peer: AND)."""
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": platform.namespace}},
            "podSelector": {"matchLabels": dict(platform.pods)}}


def by_place(endpoints: tuple[spec.Endpoint, ...]) -> list[spec.Endpoint]:
    return sorted(endpoints, key=lambda e: (e.namespace, e.name))


def tcp(ports: tuple[spec.Port, ...]) -> list[dict[str, Any]]:
    return [{"port": p.number, "protocol": "TCP"} for p in ports]


def ingress_rules(w: spec.Workload) -> list[dict[str, Any]]:
    """Each client on the ports it declared it uses; the ingress controller on the main port."""
    main = w.ports[:1]
    # A Knative service's clients come through Knative's gateway and activator (its platform peers below).
    published_by_knative = w.facet(spec.ServerlessRun) is not None
    clients = () if published_by_knative else w.clients
    rules: list[dict[str, Any]] = [{"from": [peer(w, replace(c, name=name)) for name in c.names],
                                    "ports": tcp(c.ports or main)} for c in by_place(clients)]
    exposure = w.facet(spec.Exposure)
    if exposure is not None and not published_by_knative:  # the controller's pods (both selectors: AND)
        namespace = {"matchLabels": {"kubernetes.io/metadata.name": exposure.controller_namespace}}
        controller: dict[str, Any] = {"namespaceSelector": namespace}
        if exposure.controller_pods:
            controller["podSelector"] = {"matchLabels": dict(exposure.controller_pods)}
        rules.append({"from": [controller], "ports": tcp(main)})
    scrape = w.facet(spec.Scrape)
    if scrape is not None:  # Prometheus' pods in their namespace, on the metrics port alone
        scraper = scrape.monitoring
        rules.append({"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                                       scraper.namespace}},
                                "podSelector": {"matchLabels": dict(scraper.pods)}}],
                      "ports": tcp((scrape.port,))})
    platforms = w.facet(spec.PlatformClients)
    for platform in platforms.peers if platforms else ():  # a cluster component's pods (KEDA, Knative)
        rules.append({"from": [platform_peer(platform)], "ports": tcp(platform.ports)})
    access = w.facet(spec.ServiceAccess)
    if access is not None:  # a node port or load balancer: clients from outside, on every port
        ranges = access.source_ranges or ("0.0.0.0/0", "::/0")
        rules.append({"from": [{"ipBlock": {"cidr": c}} for c in ranges], "ports": tcp(w.ports)})
    return rules


# Where no server outside the cluster is: private (RFC 1918, RFC 4193), shared (RFC 6598, carrier NAT),
# link-local (cloud metadata at 169.254.169.254) and loopback ranges.
NOT_PUBLIC_V4 = ["10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"]
NOT_PUBLIC_V6 = ["::1/128", "fc00::/7", "fe80::/10"]
PUBLIC = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": NOT_PUBLIC_V4}},
          {"ipBlock": {"cidr": "::/0", "except": NOT_PUBLIC_V6}}]


def by_name(external: spec.ExternalAddress) -> bool:
    """A server outside the cluster known by its DNS name only (no address ranges given)."""
    return not external.cidrs and not _is_address(external.host)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def egress_rules(w: spec.Workload, cilium: bool = False) -> list[dict[str, Any]]:
    """With ``cilium``, servers outside the cluster known by name are left to the CiliumNetworkPolicy (policies
    add up: a rule here for every public address would make its name rule moot)."""
    rules: list[dict[str, Any]] = [{"to": [DNS_PEER], "ports": DNS_PORTS}]
    for target in by_place(w.connects_to):
        assert target.ports, f"shipform bug: {w.path} connects to {target.name} on no port"  # [] would be all ports
        outside = target.external
        if target.through is not None:  # a Knative service: through its gateway
            rules.append({"to": [platform_peer(target.through)], "ports": tcp(target.through.ports)})
        elif outside is None:
            rules.append({"to": [peer(w, target)], "ports": tcp(target.ports)})
        elif outside.cidrs or _is_address(outside.host):
            cidrs = outside.cidrs or (outside.host + ("/128" if ":" in outside.host else "/32"),)
            rules.append({"to": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": tcp(target.ports)})
        elif not cilium:
            rules.append({"to": PUBLIC, "ports": tcp(target.ports)})
    collector = w.facet(spec.Telemetry)
    if collector is not None:  # the collector's pods in their namespace, on its OTLP port alone
        rules.append({"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                                     collector.namespace}},
                              "podSelector": {"matchLabels": dict(collector.pods)}}],
                      "ports": [{"port": collector.port, "protocol": "TCP"}]})
    enrolled = w.facet(spec.Mesh)
    if enrolled is not None:  # the sidecar's configuration, certificates and policies, from the control plane alone
        rules.append({"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                                     enrolled.namespace}},
                              "podSelector": {"matchLabels": dict(enrolled.pods)}}],
                      "ports": [{"port": p, "protocol": "TCP"} for p in control_plane_ports(enrolled)]})
    internet_egress = w.facet(spec.InternetEgress)
    for internet in internet_egress.to if internet_egress else ():
        to = [{"ipBlock": {"cidr": c}} for c in internet.cidrs] or PUBLIC
        rules.append({"to": to, "ports": [{"port": internet.port, "protocol": "TCP"}]})
    return rules


def network_policy_spec(w: spec.Workload, cilium: bool = False) -> dict[str, Any]:
    """Both directions are listed in policyTypes, so anything not allowed here is denied."""
    return {
        "podSelector": {"matchLabels": w.selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress_rules(w),
        "egress": egress_rules(w, cilium),
    }


def fqdn_policy_spec(w: spec.Workload) -> dict[str, Any] | None:
    """Cilium's policy for the servers outside the cluster that ``w`` reaches by name: DNS through Cilium's
    proxy (so it learns the names' addresses), then each name on its ports only."""
    named = [t for t in by_place(w.connects_to) if t.external is not None and by_name(t.external)]
    if not named:
        return None
    dns = {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                            "k8s:k8s-app": "kube-dns"}}],
           "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}]}
    return {"endpointSelector": {"matchLabels": w.selector}, "egress": [dns] + [
        {"toFQDNs": [{"matchName": t.external.host}],  # type: ignore[union-attr]
         "toPorts": [{"ports": [{"port": str(p.number), "protocol": "TCP"} for p in t.ports]}]} for t in named]}
