"""Istio's objects. Per enrolled namespace: STRICT mutual TLS and an allow-nothing AuthorizationPolicy. Per server:
an AuthorizationPolicy admitting exactly its declared clients by identity, on the ports each uses (the same graph
as its NetworkPolicy), plus the ports peers outside the mesh reach (the ingress controller, Prometheus, KEDA,
clients of a node port), which stay open to plain text there and are narrowed to those peers by the
NetworkPolicy. Per WebService: retries and a timeout (VirtualService), circuit breaking (DestinationRule), and
for public ones a local rate limit (EnvoyFilter)."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.mesh_graph import open_ports, served_ports, speaks_http
from shipform.spec.manifest import Manifest

SECURITY = "security.istio.io/v1"
NETWORKING = "networking.istio.io/v1"
RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,reset,503"


def pod_annotations(mesh: spec.Mesh) -> dict[str, str]:
    """A native sidecar (it starts before the app and stops after it, so Jobs finish) with the resources the quota
    counts for it."""
    return {"sidecar.istio.io/nativeSidecar": "true",
            "sidecar.istio.io/proxyCPU": str(mesh.proxy.cpu),
            "sidecar.istio.io/proxyCPULimit": str(mesh.proxy.cpu_limit),
            "sidecar.istio.io/proxyMemory": str(mesh.proxy.memory),
            "sidecar.istio.io/proxyMemoryLimit": str(mesh.proxy.memory_limit)}


def namespace_objects(ns: spec.Namespace) -> list[Manifest]:
    meta = {"namespace": ns.name, "labels": spec.shipform_labels(ns.app)}
    return [
        {"apiVersion": SECURITY, "kind": "PeerAuthentication", "metadata": {"name": "default", **meta},
         "spec": {"mtls": {"mode": "STRICT"}}},
        # No selector and no rules: nothing is allowed in unless a workload's own policy allows it.
        {"apiVersion": SECURITY, "kind": "AuthorizationPolicy", "metadata": {"name": "allow-nothing", **meta},
         "spec": {}},
    ]


def workload_objects(w: spec.Workload, mesh: spec.Mesh) -> list[Manifest]:
    if not served_ports(w):  # nothing calls it
        return []
    meta = {"name": w.name, "namespace": w.namespace, "labels": w.labels}
    selector = {"matchLabels": w.selector}
    rules = [{"from": [{"source": {"principals": [mesh.principal(c.namespace, name) for name in c.names]}}],
              "to": [{"operation": {"ports": [str(p.number) for p in c.ports or w.ports[:1]]}}]}
             for c in sorted(w.clients, key=lambda c: (c.namespace, c.name))]
    plain = open_ports(w)
    if plain:
        rules.append({"to": [{"operation": {"ports": [str(p.number) for p in plain]}}]})
    objects: list[Manifest] = [{"apiVersion": SECURITY, "kind": "AuthorizationPolicy", "metadata": meta,
                                "spec": {"selector": selector, "action": "ALLOW", "rules": rules}}]
    if plain:
        objects.append({"apiVersion": SECURITY, "kind": "PeerAuthentication", "metadata": meta, "spec": {
            "selector": selector, "mtls": {"mode": "STRICT"},
            "portLevelMtls": {str(p.number): {"mode": "PERMISSIVE"} for p in plain}}})
    if speaks_http(w):
        main = w.ports[0]
        objects += traffic_policy(w, mesh, meta, main)
    return objects


def traffic_policy(w: spec.Workload, mesh: spec.Mesh, meta: dict[str, Any], main: spec.Port) -> list[Manifest]:
    host = f"{w.name}.{w.namespace}.svc.cluster.local"
    retries: dict[str, Any] = {"attempts": mesh.retries}
    if mesh.retries:
        retries["retryOn"] = RETRY_ON
    objects = [
        {"apiVersion": NETWORKING, "kind": "VirtualService", "metadata": meta, "spec": {
            "hosts": [host],
            "http": [{"match": [{"port": main.number}],
                      "route": [{"destination": {"host": host, "port": {"number": main.number}}}],
                      "timeout": mesh.timeout, "retries": retries}]}},
        # Circuit breaking: a pod that keeps failing is taken out of rotation for a while; queues are bounded.
        {"apiVersion": NETWORKING, "kind": "DestinationRule", "metadata": meta, "spec": {
            "host": host,
            "trafficPolicy": {
                "connectionPool": {"tcp": {"maxConnections": 1024},
                                   "http": {"http1MaxPendingRequests": 1024, "http2MaxRequests": 1024}},
                "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s",
                                     "maxEjectionPercent": 50}}}},
    ]
    if w.exposure is not None:
        objects.append(rate_limit(w, mesh, main))
    return objects


def rate_limit(w: spec.Workload, mesh: spec.Mesh, main: spec.Port) -> Manifest:
    """Envoy's local rate limit on the public port of each pod: ``mesh.rate_limit`` requests a second, then 429."""
    bucket = {"max_tokens": mesh.rate_limit, "tokens_per_fill": mesh.rate_limit, "fill_interval": "1s"}
    always = {"numerator": 100, "denominator": "HUNDRED"}
    return {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
            "metadata": {"name": f"{w.name}-rate-limit", "namespace": w.namespace, "labels": w.labels},
            "spec": {"workloadSelector": {"labels": w.selector}, "configPatches": [{
                "applyTo": "HTTP_FILTER",
                "match": {"context": "SIDECAR_INBOUND", "listener": {
                    "portNumber": main.number,
                    "filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager"}}}},
                "patch": {"operation": "INSERT_BEFORE", "value": {
                    "name": "envoy.filters.http.local_ratelimit",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                        "stat_prefix": "http_local_rate_limiter", "token_bucket": bucket,
                        "filter_enabled": {"runtime_key": "local_rate_limit_enabled", "default_value": always},
                        "filter_enforced": {"runtime_key": "local_rate_limit_enforced",
                                            "default_value": always}}}}}]}}
