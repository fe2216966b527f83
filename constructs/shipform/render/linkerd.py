"""Linkerd's objects. Per enrolled namespace: injection and a default inbound policy of 'deny', and a
NetworkAuthentication for any address. Per server port: a Server, and an AuthorizationPolicy requiring the
declared clients' TLS identities (a MeshTLSAuthentication) on it: the same graph as the NetworkPolicies. Ports
peers outside the mesh reach (the ingress controller, Prometheus, KEDA, clients of a node port) also admit any
address, narrowed to those peers by the NetworkPolicy. Per WebService: retries, a timeout and failure accrual
(circuit breaking) as annotations on its Service, and for public ones a local rate limit."""

from __future__ import annotations

from functools import partial
from typing import Any

from shipform import spec
from shipform.providers.mesh.graph import open_ports, served_ports, speaks_http
from shipform.providers.mesh.protocol import Planned
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey

POLICY = "policy.linkerd.io"
ANYWHERE = "anywhere"
"""The namespace's NetworkAuthentication that matches any client address."""


def pod_annotations(mesh: spec.Mesh) -> dict[str, str]:
    """A native sidecar (so Jobs finish) with the resources the quota counts for it."""
    return {"config.beta.linkerd.io/proxy-enable-native-sidecar": "true",
            "config.linkerd.io/proxy-cpu-request": str(mesh.proxy.cpu),
            "config.linkerd.io/proxy-cpu-limit": str(mesh.proxy.cpu_limit),
            "config.linkerd.io/proxy-memory-request": str(mesh.proxy.memory),
            "config.linkerd.io/proxy-memory-limit": str(mesh.proxy.memory_limit)}


NAMESPACE_ANNOTATIONS = {"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny"}


def namespace_objects(ns: spec.Namespace) -> list[Manifest]:
    meta = {"name": ANYWHERE, "namespace": ns.name, "labels": spec.shipform_labels(ns.app)}
    return [{"apiVersion": f"{POLICY}/v1alpha1", "kind": "NetworkAuthentication", "metadata": meta,
             "spec": {"networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]}}]


def service_annotations(w: spec.Workload, mesh: spec.Mesh) -> dict[str, str]:
    """Client-side retries and a timeout for calls to the service, and failure accrual: a pod that fails
    repeatedly is left out of the balancer for a while."""
    if not speaks_http(w):
        return {}
    retries = {"retry.linkerd.io/http": "5xx", "retry.linkerd.io/limit": str(mesh.retries)} if mesh.retries else {}
    return {**retries, "timeout.linkerd.io/request": mesh.timeout,
            "balancer.linkerd.io/failure-accrual": "consecutive",
            "balancer.linkerd.io/failure-accrual-consecutive-max-failures": "5"}


def workload_objects(w: spec.Workload, mesh: spec.Mesh) -> list[Manifest]:
    objects: list[Manifest] = []
    plain = open_ports(w)
    for port in served_ports(w):
        name = f"{w.name}-{port.name}"
        meta = {"name": name, "namespace": w.namespace, "labels": w.labels}
        protocol = "opaque" if w.component == "database" else "unknown"  # unknown: the proxy detects HTTP
        objects.append({"apiVersion": f"{POLICY}/v1beta3", "kind": "Server", "metadata": meta, "spec": {
            "podSelector": {"matchLabels": w.selector}, "port": port.number, "proxyProtocol": protocol}})
        server = {"group": POLICY, "kind": "Server", "name": name}
        clients = sorted((c for c in w.clients if port in (c.ports or w.ports[:1])), key=lambda c: (c.namespace,
                                                                                                    c.name))
        if clients:
            objects += [
                {"apiVersion": f"{POLICY}/v1alpha1", "kind": "MeshTLSAuthentication", "metadata": meta,
                 "spec": {"identities": [principal(mesh, c.namespace, name) for c in clients for name in c.names]}},
                {"apiVersion": f"{POLICY}/v1alpha1", "kind": "AuthorizationPolicy", "metadata": meta, "spec": {
                    "targetRef": server, "requiredAuthenticationRefs": [
                        {"group": POLICY, "kind": "MeshTLSAuthentication", "name": name}]}},
            ]
        if port in plain:
            objects.append({"apiVersion": f"{POLICY}/v1alpha1", "kind": "AuthorizationPolicy",
                            "metadata": {**meta, "name": f"{name}-plain"}, "spec": {
                                "targetRef": server, "requiredAuthenticationRefs": [
                                    {"group": POLICY, "kind": "NetworkAuthentication", "name": ANYWHERE}]}})
    if w.exposure is not None and speaks_http(w):
        main = {"group": POLICY, "kind": "Server", "name": f"{w.name}-{w.ports[0].name}"}
        objects.append({"apiVersion": f"{POLICY}/v1alpha1", "kind": "HTTPLocalRateLimitPolicy",
                        "metadata": {"name": f"{w.name}-rate-limit", "namespace": w.namespace, "labels": w.labels},
                        "spec": {"targetRef": main, "total": {"requestsPerSecond": mesh.rate_limit}}})
    return objects


def principal(mesh: spec.Mesh, namespace: str, service_account: str) -> str:
    return f"{service_account}.{namespace}.serviceaccount.identity.linkerd.{mesh.trust_domain}"


class Linkerd:
    """Transitional: the functions above behind the mesh provider protocol, until Linkerd moves to
    shipform.providers.mesh.linkerd."""

    name = "linkerd"
    default_namespace = "linkerd"
    control_plane_ports = (8080, 8086, 8090)

    def default_pods(self, namespace: str) -> dict[str, str]:
        return {"linkerd.io/control-plane-ns": namespace}

    def principal(self, mesh: spec.Mesh, namespace: str, service_account: str) -> str:
        return principal(mesh, namespace, service_account)

    def namespace_metadata(self, ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
        return {}, dict(NAMESPACE_ANNOTATIONS)

    def pod_annotations(self, mesh: spec.Mesh) -> dict[str, str]:
        return pod_annotations(mesh)

    def service_annotations(self, w: spec.Workload, mesh: spec.Mesh) -> dict[str, str]:
        return service_annotations(w, mesh)

    def namespace_plan(self, ns: spec.Namespace) -> list[Planned]:
        return [_planned(m) for m in namespace_objects(ns)]

    def workload_plan(self, w: spec.Workload, mesh: spec.Mesh) -> list[Planned]:
        return [_planned(m) for m in workload_objects(w, mesh)]


def _planned(m: Manifest) -> Planned:
    meta = m["metadata"]
    key = ObjectKey(f"mesh:{m['kind']}", m["apiVersion"], m["kind"], meta["name"], meta["namespace"])
    return Planned(key, meta["labels"], partial(_fields, m))


def _fields(m: Manifest) -> dict[str, Any]:
    return {k: v for k, v in m.items() if k not in ("apiVersion", "kind", "metadata")}


LINKERD = Linkerd()
