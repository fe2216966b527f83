"""A public service (the Exposure facet): its provider's objects (an Ingress, an HTTPRoute, a canary's split), its
controller's pods admitted on the main port, and that port published by compose on 127.0.0.1."""

from __future__ import annotations

from shipform import spec
from shipform.render import contributions, exposure
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.network_peers import namespace_peer, tcp
from shipform.render.running import not_long_running


def published_at_all(w: spec.Workload, cilium: bool = False) -> str | None:
    """Why the workload has no object publishing it (None: it has them)."""
    return f"{w.name} is not public" if w.facet(spec.Exposure) is None else not_long_running(w)


def admitted(w: spec.Workload, facet: spec.Exposure) -> NetworkRules:
    """The controller's pods (both selectors: AND), or its whole namespace, on the main port; none where a front
    (Knative's gateway) receives the requests instead."""
    if contributions.fronted(w):
        return []
    controller = namespace_peer(facet.controller_namespace)
    if facet.controller_pods:
        controller["podSelector"] = {"matchLabels": dict(facet.controller_pods)}
    return [{"from": [controller], "ports": tcp(w.ports[:1])}]


def published(w: spec.Workload, facet: spec.Exposure) -> tuple[int, ...]:
    return (w.port,) if w.port is not None else ()


CONTRIBUTION = Contribution(
    spec.Exposure,
    rules=(Rule("exposure", published_at_all, roles=exposure.roles, objects=exposure.planned,
                why=lambda w, role, _: published_at_all(w) or exposure.why(w, role)),),
    ingress=admitted, published=published)
