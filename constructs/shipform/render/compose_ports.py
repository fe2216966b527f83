"""What compose publishes on the developer's machine, on 127.0.0.1: the ports the workload's facets publish
(render.facets: a public service's or a node port's main port, reached from outside the cluster)."""

from __future__ import annotations

from shipform import spec
from shipform.render import contributions
from shipform.render import facets as _facets  # noqa: F401  (importing them registers the facets' contributions)


def published_ports(w: spec.Workload) -> tuple[int, ...]:
    """Each port once, in the order the facets publish them."""
    ports: dict[int, None] = {}
    for facet, contribution in contributions.of(w):
        if contribution.published is not None:
            ports.update(dict.fromkeys(contribution.published(w, facet)))
    return tuple(ports)
