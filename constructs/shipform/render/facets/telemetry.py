"""Telemetry over OTLP (the Telemetry facet): the collector's pods in their namespace, on its port alone."""

from __future__ import annotations

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules
from shipform.render.network_peers import pods_in, tcp_numbers


def reached(w: spec.Workload, collector: spec.Telemetry) -> NetworkRules:
    return [{"to": [pods_in(collector.namespace, collector.pods)], "ports": tcp_numbers((collector.port,))}]


CONTRIBUTION = Contribution(spec.Telemetry, egress=reached)
