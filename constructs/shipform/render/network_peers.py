"""The pieces NetworkPolicy rules are made of: ports, the pods of a namespace, public addresses. Shared by
render.network and the facets' contributions (render.facets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shipform import spec

# Where no server outside the cluster is: private (RFC 1918, RFC 4193), shared (RFC 6598, carrier NAT),
# link-local (cloud metadata at 169.254.169.254) and loopback ranges.
NOT_PUBLIC_V4 = ["10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"]
NOT_PUBLIC_V6 = ["::1/128", "fc00::/7", "fe80::/10"]
PUBLIC = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": NOT_PUBLIC_V4}},
          {"ipBlock": {"cidr": "::/0", "except": NOT_PUBLIC_V6}}]


def tcp(ports: tuple[spec.Port, ...]) -> list[dict[str, Any]]:
    return [{"port": p.number, "protocol": "TCP"} for p in ports]


def tcp_numbers(numbers: Iterable[int]) -> list[dict[str, Any]]:
    return [{"port": n, "protocol": "TCP"} for n in numbers]


def namespace_peer(namespace: str) -> dict[str, Any]:
    """Every pod of ``namespace``."""
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def pods_in(namespace: str, pods: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The pods labelled ``pods`` in ``namespace`` (both selectors in one peer: AND)."""
    return {**namespace_peer(namespace), "podSelector": {"matchLabels": dict(pods)}}


def platform_peer(platform: spec.PlatformPeer) -> dict[str, Any]:
    """The pods of a cluster component in its namespace."""
    return pods_in(platform.namespace, platform.pods)
