"""The pieces NetworkPolicy rules are made of: ports, the pods of a namespace, public addresses. Shared by
render.network and the facets' contributions (render.facets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shipform import spec
from shipform.values import addresses

# Every address but those where no server on the internet is (private, shared, link-local with the cloud's
# metadata services, loopback, documentation, multicast, reserved: values.addresses.NOT_PUBLIC).
PUBLIC = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": addresses.public_except(4)}},
          {"ipBlock": {"cidr": "::/0", "except": addresses.public_except(6)}}]


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
