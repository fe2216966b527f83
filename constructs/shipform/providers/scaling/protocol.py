"""What a scaling provider answers: the facet it reads (a :class:`~shipform.spec.facets.Scaling`, which owns the
replica count), the objects it adds to the workload, and, for a provider that runs the pods itself (Knative), what
replaces the workload's controller and why the workload's own Service, budget and routes are not there.

A provider lists its objects as :class:`~shipform.spec.plan.Planned` entries (the key in the plan and how the body is
built), so the plan and the bodies come from one list.
"""

from __future__ import annotations

from typing import Protocol

from shipform import spec
from shipform.spec.manifest import Manifest
from shipform.spec.plan import Planned

__all__ = ["Planned", "ScalingProvider"]


class ScalingProvider(Protocol):
    """One way of setting a workload's replica count; registered in ``shipform.providers.scaling.SCALERS``."""

    @property
    def name(self) -> str:
        """The provider's name ('hpa')."""
        ...

    @property
    def facet(self) -> type[spec.Scaling]:
        """The facet type a workload scaled by it has (each scaler has its own)."""
        ...

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles of the objects it may plan (what the constructs' handles name)."""
        ...

    def plan(self, w: spec.Workload, target: tuple[str, str]) -> list[Planned]:
        """Its objects for ``w``, which has its facet; ``target`` is the (apiVersion, kind) of what runs the pods."""
        ...

    def missing(self, w: spec.Workload, role: str) -> str:
        """Why it plans no object of ``role`` for ``w`` (which it scales, or not: then the prop that would)."""
        ...

    def controller(self, w: spec.Workload) -> tuple[str, str] | None:
        """(apiVersion, kind) of what runs the pods when the provider runs them itself; None: the workload's own
        controller (a Deployment) does."""
        ...

    def controller_object(self, w: spec.Workload, template: Manifest) -> Manifest:
        """That object, from the workload's pod template (only asked when ``controller`` is not None)."""
        ...

    def runs_itself(self, w: spec.Workload) -> str | None:
        """Why the workload has no Service, disruption budget, route or monitor of its own (the provider runs it,
        with its own), or None."""
        ...


class SetsTheReplicaCount:
    """What a scaler that only sets the replica count of the workload's own controller (a Deployment) answers: it
    runs no pods and no objects in the workload's place (HPA, KEDA)."""

    def controller(self, w: spec.Workload) -> tuple[str, str] | None:
        return None

    def controller_object(self, w: spec.Workload, template: Manifest) -> Manifest:
        raise NotImplementedError("the workload's own controller runs its pods")

    def runs_itself(self, w: spec.Workload) -> str | None:
        return None
