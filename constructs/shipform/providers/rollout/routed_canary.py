"""A routed canary, without a rollout controller: the running version stays in the Deployment ``<name>`` (its
image pinned), the new one runs beside it as ``<name>-canary`` with a fixed number of pods, and the workload's
exposure provider sends it a weight of the public traffic (a canary Ingress, an HTTPRoute's weights)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.providers.rollout.protocol import Planned

_NOT_THE_CANARYS = (spec.Scaling, spec.Rollout, spec.ResourceRecommendation, spec.PlatformClients)
"""Facets the canary copy leaves out: it runs a fixed number of pods, once, reached by the router alone."""


class RoutedCanary:
    """A routed canary without a controller: the new version runs as `<name>-canary` beside the running one, weighted by
    the exposure's router (RoutedCanary)."""

    name = "routed-canary"
    facet = spec.CanarySplit
    controller_in_cluster = False
    roles: tuple[str, ...] = ()
    companion_roles = ("service-account", "network-policy", "fqdn-policy", "controller", "service", "mesh")

    def controller(self, w: spec.Workload) -> tuple[str, str] | None:
        return None

    def strategy(self, w: spec.Workload, traffic_routing: dict[str, Any] | None) -> dict[str, Any] | None:
        return None

    def stable(self, w: spec.Workload) -> spec.Workload:
        """The new version runs as the canary: the Deployment keeps the running one."""
        return replace(w, image=_split(w).stable_image)

    def second_service(self, w: spec.Workload) -> str | None:
        return None

    def companion(self, w: spec.Workload) -> spec.Workload | None:
        """The new version as a workload of its own, ``<name>-canary``: the same pod (image, env, config,
        connections), a fixed number of replicas, reached by the router alone."""
        split, run = _split(w), w.run
        assert isinstance(run, spec.Continuous)
        kept = tuple(f for f in w.facets if not isinstance(f, _NOT_THE_CANARYS))
        return replace(w, name=f"{w.name}-canary", clients=(), run=replace(run, replicas=split.replicas),
                       facets=kept)

    def plan(self, w: spec.Workload) -> list[Planned]:
        return []

    def missing(self, w: spec.Workload, role: str) -> str:
        return f"{w.name} has no RoutedCanary"


def _split(w: spec.Workload) -> spec.CanarySplit:
    split = w.facet(spec.CanarySplit)
    assert split is not None
    return split


ROUTED_CANARY = RoutedCanary()
