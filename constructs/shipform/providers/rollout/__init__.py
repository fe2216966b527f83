"""Rollouts: what replaces a workload's pods besides the Deployment's rolling update. Each is a provider
(:class:`~shipform.providers.rollout.protocol.RolloutProvider`) registered in :data:`ROLLOUTS`, found by the type of
the workload's :class:`~shipform.spec.facets.Rollout` facet; ``Environment(rollouts=...)`` names those whose
controller runs in the cluster."""

from __future__ import annotations

from shipform import spec
from shipform.errors import ShipformError
from shipform.providers.registry import Registry
from shipform.providers.rollout.argo import ARGO
from shipform.providers.rollout.protocol import RolloutProvider
from shipform.providers.rollout.routed_canary import ROUTED_CANARY

ROLLOUTS: Registry[RolloutProvider] = Registry("rollout", [ARGO, ROUTED_CANARY])
"""The rollouts shipform knows, by name, in the order docs and errors list them."""


def rollout_of(w: spec.Workload) -> RolloutProvider | None:
    """The provider of the workload's Rollout facet, or None: the Deployment's rolling update."""
    facet = w.facet(spec.Rollout)
    if facet is None:
        return None
    return next(p for p in ROLLOUTS if p.facet is type(facet))


def rollout_controller(path: str, name: object) -> str | None:
    """The rollout controller ``Environment(rollouts=...)`` says runs in the cluster: a registered provider with a
    controller of its own, or None."""
    names = [p.name for p in ROLLOUTS if p.controller_in_cluster]
    if name is None or (isinstance(name, str) and name in names):
        return name
    listed = " or ".join(repr(n) for n in names)
    raise ShipformError(path, "rollouts", f"must be {listed} or None", name, f"pass {listed} or None")
