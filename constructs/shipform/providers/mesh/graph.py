"""What every mesh provider reads of a workload: the ports that peers outside the mesh reach, and whether it
speaks HTTP (retries, timeouts and rate limits apply). Shared by the providers of the family, which import it and
their protocol, never each other."""

from __future__ import annotations

from shipform import spec

HTTP_PROTOCOLS = ("http", "kubernetes.io/h2c", "grpc")
PLAIN_TEXT_REASON = "shipform.dev/plain-text-reason"


def open_ports(w: spec.Workload) -> tuple[spec.Port, ...]:
    """Ports that peers outside the mesh reach (no sidecar, so plain text): the main port of a public service or
    of one behind a node port or load balancer (every port then), the metrics port, a queue's port for KEDA outside
    the mesh."""
    ports = set(_open_in_cluster(w)) | (set(w.ports) if w.facet(spec.ServiceAccess) is not None else set())
    return tuple(p for p in served_ports(w) if p in ports)


def plain_sources(w: spec.Workload, port: spec.Port) -> tuple[str, ...]:
    """The address ranges plain-text peers reach ``port`` from: a node port's or load balancer's
    ``source_ranges`` when its clients are the port's only peers outside the mesh; else none, for any address (the
    ingress controller, Prometheus and KEDA connect from pod addresses no policy here knows; the NetworkPolicy
    narrows those to their pods)."""
    access = w.facet(spec.ServiceAccess)
    if access is None or port in _open_in_cluster(w):
        return ()
    return access.source_ranges


def _open_in_cluster(w: spec.Workload) -> tuple[spec.Port, ...]:
    """Ports that peers inside the cluster but outside the mesh reach: the public port, metrics, the ports of
    platform peers outside the mesh."""
    ports: list[spec.Port] = []
    if w.facet(spec.Exposure) is not None:
        ports += w.ports[:1]
    scrape = w.facet(spec.Scrape)
    if scrape is not None:
        ports.append(scrape.port)
    for platform in platform_peers(w):
        if platform.identity is None:
            ports += platform.ports
    return tuple(ports)


def platform_peers(w: spec.Workload) -> tuple[spec.PlatformPeer, ...]:
    """The cluster components the workload admits besides its clients (KEDA's operator on a queue)."""
    platforms = w.facet(spec.PlatformClients)
    return platforms.peers if platforms else ()


def meshed_platform_peers(w: spec.Workload, port: spec.Port | None = None) -> tuple[spec.PlatformPeer, ...]:
    """Those of them in the mesh, admitted by identity like a client (on ``port``, when given)."""
    return tuple(p for p in platform_peers(w) if p.identity is not None and (port is None or port in p.ports))


def plain_text_reasons(w: spec.Workload) -> dict[str, str]:
    """The annotation that says why peers outside the mesh may send plain text, where one had to say why."""
    reasons = sorted({f"{p.namespace}: {p.plain_text_reason}" for p in platform_peers(w)
                      if p.identity is None and p.plain_text_reason})
    return {PLAIN_TEXT_REASON: "; ".join(reasons)} if reasons else {}


def served_ports(w: spec.Workload) -> tuple[spec.Port, ...]:
    """The ports a workload's pods accept connections on: its Service's, or a Worker's metrics port alone."""
    scrape = w.facet(spec.Scrape)
    return w.ports or ((scrape.port,) if scrape else ())


def speaks_http(w: spec.Workload) -> bool:
    """A WebService whose main port is HTTP, HTTP/2 or gRPC (``port=`` is named 'http' with no appProtocol: Istio
    and Linkerd read the name the same way)."""
    return w.component == "web-service" and bool(w.ports) and (w.ports[0].app_protocol or w.ports[0].name) in \
        HTTP_PROTOCOLS
