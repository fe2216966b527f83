"""A rollout besides the Deployment's rolling update (the Rollout facets): its provider's objects (an
AnalysisTemplate) and a second Service it steers. A copy of the workload it runs beside it (a routed canary's) is
planned by render.plan like the workload itself."""

from __future__ import annotations

from shipform import spec
from shipform.render import rollouts
from shipform.render.contributions import Contribution, Rule
from shipform.spec.plan import ObjectKey


def _rolled(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(spec.Rollout) is not None else f"{w.name} rolls out by the Deployment's rolling update"


def _keys(w: spec.Workload) -> list[ObjectKey]:
    """The second Service is the workload's own Service under another name (rendered with the workload's)."""
    keys = [ObjectKey("second-service", "v1", "Service", name, w.namespace)
            for name in (rollouts.second_service(w),) if name is not None]
    return keys + [p.key for p in rollouts.planned(w)]


CONTRIBUTION = Contribution(
    spec.Rollout,
    rules=(Rule("rollout", _rolled, keys=_keys, roles=rollouts.roles, objects=rollouts.planned,
                why=lambda w, role, _: rollouts.why(w, role)),))
