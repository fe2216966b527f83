"""A Service reached from outside the cluster (the ServiceAccess facet: a node port or a load balancer): clients
from its source ranges (anywhere without any) admitted on every port, and the main port published by compose on
127.0.0.1."""

from __future__ import annotations

from shipform import spec
from shipform.render.contributions import Contribution, NetworkRules
from shipform.render.network_peers import tcp


def admitted(w: spec.Workload, access: spec.ServiceAccess) -> NetworkRules:
    ranges = access.source_ranges or ("0.0.0.0/0", "::/0")
    return [{"from": [{"ipBlock": {"cidr": c}} for c in ranges], "ports": tcp(w.ports)}]


def published(w: spec.Workload, access: spec.ServiceAccess) -> tuple[int, ...]:
    return (w.port,) if w.port is not None else ()


CONTRIBUTION = Contribution(spec.ServiceAccess, ingress=admitted, published=published)
