"""What a rollout provider answers: the facet it reads (a :class:`~shipform.spec.facets.Rollout`), what runs the
pods instead of a Deployment and by which strategy, the Services and copies of the workload it steers, and its own
objects.

A provider lists its own objects as :class:`~shipform.spec.plan.Planned` entries (the key in the plan and how the
body is built). Services and copies of the workload it names are the workload's own objects, rendered like them.
"""

from __future__ import annotations

from typing import Any, Protocol

from shipform import spec
from shipform.spec.plan import Planned

__all__ = ["Planned", "RolloutProvider"]


class RolloutProvider(Protocol):
    """One way of replacing a workload's pods besides the Deployment's rolling update; registered in
    ``shipform.providers.rollout.ROLLOUTS``."""

    @property
    def name(self) -> str:
        """The provider's name ('argo')."""
        ...

    @property
    def facet(self) -> type[spec.Rollout]:
        """The facet type a workload rolled out by it has."""
        ...

    @property
    def controller_in_cluster(self) -> bool:
        """A controller of its own runs in the cluster, which ``Environment(rollouts=...)`` names."""
        ...

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles of the objects it may plan (what the constructs' handles name)."""
        ...

    def controller(self, w: spec.Workload) -> tuple[str, str] | None:
        """(apiVersion, kind) of what runs the pods instead of a Deployment, or None: a Deployment does."""
        ...

    def strategy(self, w: spec.Workload, traffic_routing: dict[str, Any] | None) -> dict[str, Any] | None:
        """The controller's ``strategy`` (None: the Deployment's rolling update); ``traffic_routing`` is how the
        workload's exposure steers a canary's share of the requests, None: by the share of the pods."""
        ...

    def stable(self, w: spec.Workload) -> spec.Workload:
        """The workload as its own controller runs it (the running version, where the new one runs beside it)."""
        ...

    def second_service(self, w: spec.Workload) -> str | None:
        """The name of a second Service of the workload's pods it steers (a preview), or None."""
        ...

    def companion(self, w: spec.Workload) -> spec.Workload | None:
        """A copy of the workload that runs beside it (``<name>-canary``), or None."""
        ...

    @property
    def companion_roles(self) -> tuple[str, ...]:
        """The roles of the workload's objects its companion has too, planned as 'canary-<role>' (its
        ServiceAccount, NetworkPolicy, Deployment, Service and mesh policies; its ConfigMap is the workload's: the
        same content)."""
        ...

    def plan(self, w: spec.Workload) -> list[Planned]:
        """Its own objects for ``w``, which has its facet."""
        ...

    def missing(self, w: spec.Workload, role: str) -> str:
        """Why ``w`` has no object of ``role``, one of this provider's roles or of its companion's."""
        ...
