"""Cluster components a workload admits besides its declared clients (the PlatformClients facet: KEDA's operator
on a queue it measures), each on the ports it needs."""

from __future__ import annotations

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules
from shipform.render.network_peers import platform_peer, tcp


def admitted(w: spec.Workload, facet: spec.PlatformClients) -> NetworkRules:
    return [{"from": [platform_peer(peer)], "ports": tcp(peer.ports)} for peer in facet.peers]


CONTRIBUTION = Contribution(spec.PlatformClients, ingress=admitted)
