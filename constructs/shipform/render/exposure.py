"""The exposure's part of the output, from the provider the workload's Exposure facet names
(``shipform.providers.exposure.EXPOSURES``): the rest of render calls these and never asks which it is."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.providers.exposure import EXPOSURES
from shipform.render import rollouts
from shipform.spec.plan import Planned


def planned(w: spec.Workload) -> list[Planned]:
    """The objects that publish ``w``, and those that split its traffic with its companion (a routed canary)."""
    exposure = w.facet(spec.Exposure)
    if exposure is None:
        return []
    provider = EXPOSURES[exposure.provider]
    found = provider.plan(w, exposure)
    companion, split = rollouts.companion(w), w.facet(spec.CanarySplit)
    if companion is not None and split is not None:
        found += provider.canary_plan(companion, exposure, split)
    return found


def traffic_routing(w: spec.Workload) -> dict[str, Any] | None:
    """How the exposure steers a canary's share of the traffic for Argo Rollouts, or None: by the share of pods."""
    exposure = w.facet(spec.Exposure)
    return EXPOSURES[exposure.provider].argo_traffic_routing(w.name) if exposure is not None else None


def roles() -> set[str]:
    return {role for p in EXPOSURES for role in p.roles}


def why(w: spec.Workload, role: str) -> str:
    """Why the public ``w`` has no object of ``role`` (one of :func:`roles`)."""
    return next(p for p in EXPOSURES if role in p.roles).missing(w, role)
