"""What scales a workload: the provider of its Scaling facet (``shipform.providers.scaling.SCALERS``: an HPA, KEDA,
Knative), which the rest of render calls through these and never asks which it is."""

from __future__ import annotations

from shipform import spec
from shipform.providers.scaling import SCALERS, scaler_of
from shipform.spec.manifest import Manifest
from shipform.spec.plan import Planned


def planned(w: spec.Workload, target: tuple[str, str]) -> list[Planned]:
    """The scaler's objects; ``target`` is what runs the pods."""
    scaler = scaler_of(w)
    return scaler.plan(w, target) if scaler is not None else []


def runs_itself(w: spec.Workload) -> str | None:
    """Why the workload has no Service, budget, route or monitor of its own (Knative runs it), or None."""
    scaler = scaler_of(w)
    return scaler.runs_itself(w) if scaler is not None else None


def controller(w: spec.Workload) -> tuple[str, str] | None:
    """(apiVersion, kind) of what runs the pods when the scaler runs them itself, or None."""
    scaler = scaler_of(w)
    return scaler.controller(w) if scaler is not None else None


def controller_object(w: spec.Workload, template: Manifest) -> Manifest:
    scaler = scaler_of(w)
    assert scaler is not None
    return scaler.controller_object(w, template)


def roles() -> set[str]:
    return {role for p in SCALERS for role in p.roles}


def why(w: spec.Workload, role: str) -> str:
    return next(p for p in SCALERS if role in p.roles).missing(w, role)

