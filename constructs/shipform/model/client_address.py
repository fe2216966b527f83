"""How a client addresses a server, by the protocol of the port it calls: a URL whose scheme is that protocol's,
a gRPC target for gRPC, and nothing beyond host and port where shipform does not know the protocol (a URL with a
guessed scheme would be silently wrong: 'http://broker:1883' for MQTT)."""

from __future__ import annotations

from shipform import spec

URL_SCHEMES = {"http": "http", "https": "https", "kubernetes.io/h2c": "http", "kubernetes.io/ws": "ws",
               "kubernetes.io/wss": "wss"}
"""The URL scheme of each port protocol (the Service port's appProtocol): HTTP/2 cleartext is still http://."""

GRPC = "grpc"
"""gRPC clients take a target, not a URL: ``<PREFIX>_TARGET=dns:///<host>:<port>`` (see spec.GrpcTarget)."""


def address_env(prefix: str, protocol: str | None, host: spec.ServiceHost, port: int,
                cluster_port: int | None = None) -> list[spec.EnvVar]:
    """``<PREFIX>_URL`` for a port whose protocol has a URL scheme, ``<PREFIX>_TARGET`` for gRPC, else nothing
    (``cluster_port``: where Kubernetes clients call instead, e.g. Knative's gateway)."""
    if protocol == GRPC:
        return [spec.EnvVar(f"{prefix}_TARGET", spec.GrpcTarget(host, port, cluster_port))]
    scheme = URL_SCHEMES.get(protocol or "")
    if scheme is None:
        return []
    return [spec.EnvVar(f"{prefix}_URL", spec.ConnectionUrl(scheme, "", host, port, "", cluster_port=cluster_port))]


def external_address_env(prefix: str, scheme: str | None, host: str, port: int) -> list[spec.EnvVar]:
    """The same for a server outside the cluster, whose protocol is the ``scheme`` its External names: a URL with
    that scheme, a gRPC target for 'grpc', nothing without one. An IPv6 address is bracketed, as URLs and gRPC
    targets need."""
    if scheme is None:
        return []
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if scheme == GRPC:
        return [spec.EnvVar(f"{prefix}_TARGET", spec.Plain(f"dns:///{where}"))]
    return [spec.EnvVar(f"{prefix}_URL", spec.Plain(f"{scheme}://{where}"))]
