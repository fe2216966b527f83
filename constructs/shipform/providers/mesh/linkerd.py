"""Linkerd. Per enrolled namespace: injection and a default inbound policy of 'deny', and a NetworkAuthentication
for any address. Per server port: a Server, and an AuthorizationPolicy requiring the declared clients' TLS
identities (a MeshTLSAuthentication) on it: the same graph as the NetworkPolicies, and the identities of the
platform's components in the mesh (KEDA's operator). Ports peers outside the mesh reach (the ingress controller,
Prometheus, KEDA outside the mesh with a reason, clients of a node port) also admit any address, narrowed to those
peers by the NetworkPolicy; a port only a node port's or load balancer's clients reach admits its
``source_ranges`` alone (a NetworkAuthentication of the workload), as the NetworkPolicy does. Per WebService:
retries, a timeout and failure accrual (circuit breaking) as annotations on its Service, and for public ones a local
rate limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shipform import spec
from shipform.providers.mesh.graph import (
    meshed_platform_peers,
    open_ports,
    plain_sources,
    plain_text_reasons,
    served_ports,
    speaks_http,
)
from shipform.providers.mesh.protocol import Planned
from shipform.spec.plan import ObjectKey

POLICY = "policy.linkerd.io"
ANYWHERE = "anywhere"
"""The namespace's NetworkAuthentication that matches any client address."""
SOURCES = "source-ranges"
"""A workload's NetworkAuthentication ``<name>-source-ranges``: its node port's or load balancer's source_ranges."""
NAMESPACE_ANNOTATIONS = {"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny"}


class Linkerd:
    """Linkerd's identity (8080), destination (8086) and policy (8090) controllers serve the proxies; identities
    are the TLS names of service accounts."""

    name = "linkerd"
    default_namespace = "linkerd"
    control_plane_ports = (8080, 8086, 8090)
    injected_images = ("cr.l5d.io/linkerd/proxy", "cr.l5d.io/linkerd/proxy-init")
    # The proxy's admin server: under the namespace's default policy 'deny' it needs a Server and an authorization of
    # its own, which workload_plan adds for a scraped proxy (its /shutdown and /env.json answer localhost only).
    proxy_metrics = spec.SidecarPort("linkerd-proxy", "linkerd-admin", 4191, "/metrics")

    def default_pods(self, namespace: str) -> dict[str, str]:
        return {"linkerd.io/control-plane-ns": namespace}

    def principal(self, mesh: spec.Mesh, namespace: str, service_account: str) -> str:
        return f"{service_account}.{namespace}.serviceaccount.identity.linkerd.{mesh.trust_domain}"

    def namespace_metadata(self, ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
        return {}, dict(NAMESPACE_ANNOTATIONS)

    def request_metrics(self, name: str, namespace: str) -> spec.RequestMetrics | None:
        return None  # its proxies' labels depend on how Prometheus scrapes them (linkerd-viz relabels them)

    def pod_annotations(self, mesh: spec.Mesh) -> dict[str, str]:
        """A native sidecar (so Jobs finish) with the resources the quota counts for it."""
        return {"config.beta.linkerd.io/proxy-enable-native-sidecar": "true",
                "config.linkerd.io/proxy-cpu-request": str(mesh.proxy.cpu),
                "config.linkerd.io/proxy-cpu-limit": str(mesh.proxy.cpu_limit),
                "config.linkerd.io/proxy-memory-request": str(mesh.proxy.memory),
                "config.linkerd.io/proxy-memory-limit": str(mesh.proxy.memory_limit)}

    def service_annotations(self, w: spec.Workload, mesh: spec.Mesh) -> dict[str, str]:
        """Client-side retries and a timeout for calls to the service, and failure accrual: a pod that fails
        repeatedly is left out of the balancer for a while."""
        if not speaks_http(w):
            return {}
        retries = {"retry.linkerd.io/http": "5xx", "retry.linkerd.io/limit": str(mesh.retries)} if mesh.retries \
            else {}
        return {**retries, "timeout.linkerd.io/request": mesh.timeout,
                "balancer.linkerd.io/failure-accrual": "consecutive",
                "balancer.linkerd.io/failure-accrual-consecutive-max-failures": "5"}

    def namespace_plan(self, ns: spec.Namespace) -> list[Planned]:
        key = ObjectKey("mesh:any-address", f"{POLICY}/v1alpha1", "NetworkAuthentication", ANYWHERE, ns.name)
        return [Planned(key, spec.shipform_labels(ns.app),
                        lambda: {"spec": {"networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]}})]

    def workload_plan(self, w: spec.Workload, mesh: spec.Mesh) -> list[Planned]:
        objects: list[Planned] = []
        plain = open_ports(w)
        for port in served_ports(w):
            objects += self._port_plan(w, mesh, port, port in plain)
        ranges = sorted({c for p in plain for c in plain_sources(w, p)})
        if ranges:
            objects.append(_planned(w, "mesh:source-ranges", "NetworkAuthentication", f"{w.name}-{SOURCES}",
                                    lambda: {"spec": {"networks": [{"cidr": c} for c in ranges]}}))
        if w.facet(spec.ProxyMetrics) is not None:
            objects += self._admin_plan(w)
        if w.facet(spec.Exposure) is not None and speaks_http(w):
            main = _server_ref(f"{w.name}-{w.ports[0].name}")
            objects.append(_planned(w, "mesh:rate-limit", "HTTPLocalRateLimitPolicy", f"{w.name}-rate-limit",
                                    lambda: {"spec": {"targetRef": main,
                                                      "total": {"requestsPerSecond": mesh.rate_limit}}}))
        return objects

    def _admin_plan(self, w: spec.Workload) -> list[Planned]:
        """The proxy's admin port, which Prometheus (outside the mesh: plain text) scrapes: a Server and an
        allowance from any address, narrowed to Prometheus' pods by the NetworkPolicy, as for an app's metrics port.
        No HTTPRoute, so Linkerd keeps authorizing the kubelet's probes of the proxy there."""
        name = f"{w.name}-{self.proxy_metrics.name}"
        return [_planned(w, "mesh:proxy-admin", "Server", name, lambda: {"spec": {
                    "podSelector": {"matchLabels": w.selector}, "port": self.proxy_metrics.number,
                    "proxyProtocol": "HTTP/1"}}, version="v1beta3"),
                _planned(w, "mesh:proxy-admin-plain", "AuthorizationPolicy", f"{name}-plain",
                         lambda: _requiring(name, "NetworkAuthentication", ANYWHERE))]

    def _port_plan(self, w: spec.Workload, mesh: spec.Mesh, port: spec.Port, plain: bool) -> list[Planned]:
        """The port's Server; its clients' identities (and those of platform components in the mesh, such as KEDA's
        operator) and the policy requiring them; the plain-text allowance."""
        name = f"{w.name}-{port.name}"
        protocol = "opaque" if w.component == "database" else "unknown"  # unknown: the proxy detects HTTP
        objects = [_planned(w, "mesh:server", "Server", name, lambda: {"spec": {
            "podSelector": {"matchLabels": w.selector}, "port": port.number, "proxyProtocol": protocol}},
            version="v1beta3")]
        clients = sorted((c for c in w.clients if port in (c.ports or w.ports[:1])), key=lambda c: (c.namespace,
                                                                                                    c.name))
        identities = [self.principal(mesh, c.namespace, n) for c in clients for n in c.names]
        identities += [self.principal(mesh, p.namespace, p.identity) for p in meshed_platform_peers(w, port)
                       if p.identity is not None]
        if identities:
            objects += [_planned(w, "mesh:client-identities", "MeshTLSAuthentication", name,
                                 lambda: {"spec": {"identities": identities}}),
                        _planned(w, "mesh:authorization", "AuthorizationPolicy", name,
                                 lambda: _requiring(name, "MeshTLSAuthentication", name))]
        if plain:
            sources = f"{w.name}-{SOURCES}" if plain_sources(w, port) else ANYWHERE
            objects.append(_planned(w, "mesh:plain-text-port", "AuthorizationPolicy", f"{name}-plain",
                                    lambda: _requiring(name, "NetworkAuthentication", sources),
                                    annotations=plain_text_reasons(w)))
        return objects


LINKERD = Linkerd()


def _planned(w: spec.Workload, role: str, kind: str, name: str, fields: Callable[[], dict[str, Any]],
             version: str = "v1alpha1", annotations: dict[str, str] | None = None) -> Planned:
    return Planned(ObjectKey(role, f"{POLICY}/{version}", kind, name, w.namespace), w.labels, fields,
                   annotations or None)


def _server_ref(name: str) -> dict[str, str]:
    return {"group": POLICY, "kind": "Server", "name": name}


def _requiring(server: str, kind: str, name: str) -> dict[str, Any]:
    """An AuthorizationPolicy on the Server ``server`` that admits who the authentication ``kind``/``name``
    matches."""
    return {"spec": {"targetRef": _server_ref(server),
                     "requiredAuthenticationRefs": [{"group": POLICY, "kind": kind, "name": name}]}}
