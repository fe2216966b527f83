"""Istio in sidecar mode. Per enrolled namespace: STRICT mutual TLS and an allow-nothing AuthorizationPolicy. Per
server: an AuthorizationPolicy admitting exactly its declared clients by identity, on the ports each uses (the same
graph as its NetworkPolicy) and the platform's components in the mesh by theirs (KEDA's operator), plus the ports
peers outside the mesh reach (the ingress controller, Prometheus, KEDA outside the mesh with a reason, clients of a
node port or load balancer), which stay open to plain text there: from a node port's or load balancer's
``source_ranges`` when its clients are the port's only such peers, else from anyone and narrowed to those peers
by the NetworkPolicy. Per WebService: retries and a timeout (VirtualService), circuit breaking (DestinationRule), and
for public ones a local rate limit (EnvoyFilter)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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

SECURITY = "security.istio.io/v1"
NETWORKING = "networking.istio.io/v1"
RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,reset,503"


class Istio:
    """istiod serves configuration and certificates on 15012; identities are SPIFFE principals."""

    name = "istio"
    default_namespace = "istio-system"
    control_plane_ports = (15012,)
    injected_images = ("docker.io/istio/proxyv2",)  # istio-proxy and istio-init alike
    # Envoy's own statistics (istio_requests_total, ...), which the sidecar's iptables rules leave uncaptured: neither
    # mutual TLS nor an AuthorizationPolicy applies there. Not the merged port 15020, which repeats the app's metrics.
    proxy_metrics = spec.SidecarPort("istio-proxy", "http-envoy-prom", 15090, "/stats/prometheus")

    def default_pods(self, namespace: str) -> dict[str, str]:
        return {"app": "istiod"}

    def principal(self, mesh: spec.Mesh, namespace: str, service_account: str) -> str:
        return f"{mesh.trust_domain}/ns/{namespace}/sa/{service_account}"

    def namespace_metadata(self, ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
        return {"istio-injection": "enabled"}, {}

    def pod_annotations(self, mesh: spec.Mesh) -> dict[str, str]:
        """A native sidecar (it starts before the app and stops after it, so Jobs finish) with the resources the
        quota counts for it."""
        return {"sidecar.istio.io/nativeSidecar": "true",
                "sidecar.istio.io/proxyCPU": str(mesh.proxy.cpu),
                "sidecar.istio.io/proxyCPULimit": str(mesh.proxy.cpu_limit),
                "sidecar.istio.io/proxyMemory": str(mesh.proxy.memory),
                "sidecar.istio.io/proxyMemoryLimit": str(mesh.proxy.memory_limit)}

    def service_annotations(self, w: spec.Workload, mesh: spec.Mesh) -> dict[str, str]:
        return {}  # retries and timeouts live in the VirtualService

    def request_metrics(self, name: str, namespace: str) -> spec.RequestMetrics | None:
        """Istio's standard metrics as the server's sidecar reports them (``reporter="destination"``: every request
        it served, whoever sent it), with Envoy's default buckets in milliseconds."""
        return spec.RequestMetrics(
            "Istio", "istio_requests_total", 'response_code=~"5.."', "istio_request_duration_milliseconds_bucket",
            f'reporter="destination", destination_service_namespace="{namespace}", destination_service_name="{name}"',
            (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
             3600000), 0.001)

    def namespace_plan(self, ns: spec.Namespace) -> list[Planned]:
        labels = spec.shipform_labels(ns.app)
        return [
            Planned(ObjectKey("mesh:mutual-tls", SECURITY, "PeerAuthentication", "default", ns.name), labels,
                    lambda: {"spec": {"mtls": {"mode": "STRICT"}}}),
            # No selector and no rules: nothing is allowed in unless a workload's own policy allows it.
            Planned(ObjectKey("mesh:default-authorization", SECURITY, "AuthorizationPolicy", "allow-nothing",
                              ns.name), labels, lambda: {"spec": {}}),
        ]

    def workload_plan(self, w: spec.Workload, mesh: spec.Mesh) -> list[Planned]:
        if not served_ports(w):  # nothing calls it
            return []
        plain = open_ports(w)
        objects = [_planned(w, "mesh:authorization", SECURITY, "AuthorizationPolicy", w.name,
                            partial(self._authorization, w, mesh, plain))]
        if plain:
            objects.append(_planned(w, "mesh:plain-text-ports", SECURITY, "PeerAuthentication", w.name,
                                    partial(_plain_text, w, plain), plain_text_reasons(w)))
        if speaks_http(w):
            objects += [_planned(w, "mesh:retries", NETWORKING, "VirtualService", w.name, partial(_retries, w, mesh)),
                        _planned(w, "mesh:circuit-breaking", NETWORKING, "DestinationRule", w.name,
                                 partial(_circuit_breaking, w))]
            if w.facet(spec.Exposure) is not None:
                objects.append(_planned(w, "mesh:rate-limit", "networking.istio.io/v1alpha3", "EnvoyFilter",
                                        f"{w.name}-rate-limit", partial(_rate_limit, w, mesh)))
        return objects

    def _authorization(self, w: spec.Workload, mesh: spec.Mesh, plain: tuple[spec.Port, ...]) -> dict[str, Any]:
        """Each client by identity on the ports it uses, and so each platform component in the mesh (KEDA's operator);
        the ports peers outside the mesh reach, from their ``source_ranges`` or from anyone (:func:`_plain_rules`)."""
        rules = [{"from": [{"source": {"principals": [self.principal(mesh, c.namespace, name) for name in c.names]}}],
                  "to": [{"operation": {"ports": [str(p.number) for p in c.ports or w.ports[:1]]}}]}
                 for c in sorted(w.clients, key=lambda c: (c.namespace, c.name))]
        rules += [{"from": [{"source": {"principals": [self.principal(mesh, peer.namespace, peer.identity)]}}],
                   "to": [{"operation": {"ports": [str(p.number) for p in peer.ports]}}]}
                  for peer in meshed_platform_peers(w) if peer.identity is not None]
        rules += _plain_rules(w, plain)
        return {"spec": {"selector": {"matchLabels": w.selector}, "action": "ALLOW", "rules": rules}}


ISTIO = Istio()


def _planned(w: spec.Workload, role: str, api_version: str, kind: str, name: str,
             fields: Callable[[], dict[str, Any]], annotations: dict[str, str] | None = None) -> Planned:
    return Planned(ObjectKey(role, api_version, kind, name, w.namespace), w.labels, fields, annotations or None)


def _plain_rules(w: spec.Workload, plain: tuple[spec.Port, ...]) -> list[dict[str, Any]]:
    """The ports peers outside the mesh reach, as the NetworkPolicy admits them: a port only a node port's or load
    balancer's clients reach, from its ``source_ranges`` (``ipBlocks``: the connection's peer address); any other
    (the ingress controller, Prometheus, KEDA: pod addresses unknown here, the NetworkPolicy narrows them to their
    pods), from anyone. One rule per set of sources."""
    by_sources: dict[tuple[str, ...], list[str]] = {}
    for port in plain:
        by_sources.setdefault(tuple(sorted(plain_sources(w, port))), []).append(str(port.number))
    rules: list[dict[str, Any]] = []
    for sources, ports in sorted(by_sources.items()):
        rule: dict[str, Any] = {"to": [{"operation": {"ports": ports}}]}
        if sources:
            rule = {"from": [{"source": {"ipBlocks": list(sources)}}], **rule}
        rules.append(rule)
    return rules


def _plain_text(w: spec.Workload, plain: tuple[spec.Port, ...]) -> dict[str, Any]:
    return {"spec": {"selector": {"matchLabels": w.selector}, "mtls": {"mode": "STRICT"},
                     "portLevelMtls": {str(p.number): {"mode": "PERMISSIVE"} for p in plain}}}


def _retries(w: spec.Workload, mesh: spec.Mesh) -> dict[str, Any]:
    host = f"{w.name}.{w.namespace}.svc.cluster.local"
    main = w.ports[0]
    retries: dict[str, Any] = {"attempts": mesh.retries}
    if mesh.retries:
        retries["retryOn"] = RETRY_ON
    return {"spec": {"hosts": [host],
                     "http": [{"match": [{"port": main.number}],
                               "route": [{"destination": {"host": host, "port": {"number": main.number}}}],
                               "timeout": mesh.timeout, "retries": retries}]}}


def _circuit_breaking(w: spec.Workload) -> dict[str, Any]:
    """A pod that keeps failing is taken out of rotation for a while; queues are bounded."""
    return {"spec": {"host": f"{w.name}.{w.namespace}.svc.cluster.local", "trafficPolicy": {
        "connectionPool": {"tcp": {"maxConnections": 1024},
                           "http": {"http1MaxPendingRequests": 1024, "http2MaxRequests": 1024}},
        "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s",
                             "maxEjectionPercent": 50}}}}


def _rate_limit(w: spec.Workload, mesh: spec.Mesh) -> dict[str, Any]:
    """Envoy's local rate limit on the public port of each pod: ``mesh.rate_limit`` requests a second, then 429."""
    bucket = {"max_tokens": mesh.rate_limit, "tokens_per_fill": mesh.rate_limit, "fill_interval": "1s"}
    always = {"numerator": 100, "denominator": "HUNDRED"}
    return {"spec": {"workloadSelector": {"labels": w.selector}, "configPatches": [{
        "applyTo": "HTTP_FILTER",
        "match": {"context": "SIDECAR_INBOUND", "listener": {
            "portNumber": w.ports[0].number,
            "filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager"}}}},
        "patch": {"operation": "INSERT_BEFORE", "value": {
            "name": "envoy.filters.http.local_ratelimit",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                "stat_prefix": "http_local_rate_limiter", "token_bucket": bucket,
                "filter_enabled": {"runtime_key": "local_rate_limit_enabled", "default_value": always},
                "filter_enforced": {"runtime_key": "local_rate_limit_enforced", "default_value": always}}}}}]}}
