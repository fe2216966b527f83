"""What owns the replica count (the Scaling facets: an HPA, KEDA, Knative): its provider's objects, which point at
what runs the pods."""

from __future__ import annotations

from shipform import spec
from shipform.render import scaling
from shipform.render.contributions import Contribution, Rule
from shipform.render.running import controller


def _scaled(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(spec.Scaling) is not None else f"{w.name}'s replicas are its own"


CONTRIBUTION = Contribution(
    spec.Scaling,
    rules=(Rule("scaling", _scaled, objects=lambda w: scaling.planned(w, controller(w)), roles=scaling.roles,
                why=lambda w, role, _: scaling.why(w, role)),))
