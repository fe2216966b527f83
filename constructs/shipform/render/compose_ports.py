"""What compose publishes on the developer's machine: the main port of a workload reached from outside the cluster
(an Ingress or route, a node port, a load balancer), on 127.0.0.1."""

from __future__ import annotations

from shipform import spec


def published(w: spec.Workload) -> bool:
    """Reached from outside the cluster: compose publishes its main port on 127.0.0.1."""
    return w.port is not None and (w.facet(spec.Exposure) is not None or w.facet(spec.ServiceAccess) is not None)
