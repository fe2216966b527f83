"""Traffic that leaves the cluster directly (the InternetEgress facet): each rule to its address ranges, or to any
public address, on its one TCP port."""

from __future__ import annotations

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules
from shipform.render.network_peers import PUBLIC, tcp_numbers


def reached(w: spec.Workload, egress: spec.InternetEgress) -> NetworkRules:
    return [{"to": [{"ipBlock": {"cidr": c}} for c in internet.cidrs] or PUBLIC, "ports": tcp_numbers((internet.port,))}
            for internet in egress.to]


CONTRIBUTION = Contribution(spec.InternetEgress, egress=reached)
