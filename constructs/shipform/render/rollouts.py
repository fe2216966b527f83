"""The rollout's part of the output, from the provider of the workload's Rollout facet
(``shipform.providers.rollout.ROLLOUTS``): the rest of render calls these and never asks which rollout it is."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.providers.rollout import ROLLOUTS, rollout_of
from shipform.providers.rollout.argo import REVISION_LABEL
from shipform.spec.plan import ObjectKey, Planned

__all__ = ["REVISION_LABEL", "companion", "companion_roles", "controller", "planned", "roles", "second_service",
           "stable", "strategy", "why"]


def controller(w: spec.Workload) -> tuple[str, str] | None:
    """(apiVersion, kind) of what runs the pods instead of a Deployment (a Rollout), or None."""
    rollout = rollout_of(w)
    return rollout.controller(w) if rollout is not None else None


def strategy(w: spec.Workload, traffic_routing: dict[str, Any] | None) -> dict[str, Any] | None:
    rollout = rollout_of(w)
    return rollout.strategy(w, traffic_routing) if rollout is not None else None


def stable(w: spec.Workload) -> spec.Workload:
    """The workload as its own controller runs it (a routed canary's running version)."""
    rollout = rollout_of(w)
    return rollout.stable(w) if rollout is not None else w


def second_service(w: spec.Workload) -> str | None:
    rollout = rollout_of(w)
    return rollout.second_service(w) if rollout is not None else None


def companion(w: spec.Workload) -> spec.Workload | None:
    """The copy of the workload that runs beside it (a routed canary's new version), or None."""
    rollout = rollout_of(w)
    return rollout.companion(w) if rollout is not None else None


def companion_roles(w: spec.Workload) -> tuple[str, ...]:
    rollout = rollout_of(w)
    return rollout.companion_roles if rollout is not None else ()


def planned(w: spec.Workload) -> list[Planned]:
    """The provider's own objects (an AnalysisTemplate)."""
    rollout = rollout_of(w)
    return rollout.plan(w) if rollout is not None else []


def roles() -> set[str]:
    """Every role a rollout provider plans, its companion's prefixed."""
    return {role for p in ROLLOUTS for role in (*p.roles, *(f"canary-{r}" for r in p.companion_roles))}


def why(w: spec.Workload, role: str) -> str:
    """Why ``w`` has no object of ``role`` (one of :func:`roles`)."""
    owner = next(p for p in ROLLOUTS if role in p.roles or role.removeprefix("canary-") in p.companion_roles)
    return owner.missing(w, role)


def companion_key(key: ObjectKey) -> ObjectKey:
    """A key of the companion's plan, as the workload's plan lists it ('canary-<role>')."""
    return ObjectKey(f"canary-{key.role}", key.api_version, key.kind, key.name, key.namespace)
