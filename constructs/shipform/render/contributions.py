"""What each facet contributes to the outputs, in one table keyed by facet type: the rules that plan its Kubernetes
objects (and build their bodies), the NetworkPolicy rules it adds (who may reach the pods, what the pods may
reach), the ports compose publishes for it. render.plan, render.network and render.compose iterate the table and
know no facet; a facet's module (render.facets) registers its contribution, and a test may register its own.

The table's order is the order contributions are listed in: NetworkPolicy rules and the plan's objects follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shipform import spec
from shipform.spec.plan import ObjectKey, Planned

Why = Callable[[spec.Workload, bool], str | None]
"""Why a workload has no object of a role (None: it has one); the flag says the cluster runs Cilium."""


@dataclass(frozen=True)
class Rule:
    """One role of a workload's objects: when it exists, and its apiVersion, kind and name; or, for a role of
    several objects (a family of providers' objects), their keys, the roles they may have and why a workload has
    no object of one of those roles. ``objects`` builds the bodies of its keys that are not the workload's own roles
    (render.workloads builds those)."""

    role: str
    absent: Why
    identity: Callable[[spec.Workload], tuple[str, str, str]] | None = None
    keys: Callable[[spec.Workload], list[ObjectKey]] | None = None
    roles: Callable[[], Collection[str]] | None = None
    why: Callable[[spec.Workload, str, bool], str] | None = None
    objects: Callable[[spec.Workload], list[Planned]] | None = None

    def planned(self, w: spec.Workload) -> list[ObjectKey]:
        if self.keys is not None:
            return self.keys(w)
        if self.identity is None:
            return [p.key for p in self.objects(w)] if self.objects is not None else []
        return [ObjectKey(self.role, *self.identity(w), w.namespace)]


F = TypeVar("F")
NetworkRules = list[dict[str, Any]]


@dataclass(frozen=True)
class Contribution(Generic[F]):
    """A facet type's part of each output (each part optional)."""

    facet: type[F]
    """The facet type (or category) it is for; a workload that has one gets the contribution."""
    rules: tuple[Rule, ...] = ()
    """The rules that plan its objects, in the order they are listed."""
    ingress: Callable[[spec.Workload, F], NetworkRules] | None = None
    """NetworkPolicy ingress rules: the peers it admits to the pods, on the ports they use."""
    egress: Callable[[spec.Workload, F], NetworkRules] | None = None
    """NetworkPolicy egress rules: what the pods reach for it."""
    published: Callable[[spec.Workload, F], tuple[int, ...]] | None = None
    """The ports compose publishes on 127.0.0.1 for it (reached from outside the cluster)."""
    stated: Callable[[spec.Workload, F], dict[str, str]] | None = None
    """Annotations of the NetworkPolicy that say who else reaches the pods than what it admits (an accepted risk
    of reach, with its reason)."""
    fronts: bool = False
    """Its component receives every request and forwards it (Knative's gateway): the declared clients and other
    facets' publishers never reach the pods themselves."""


_TABLE: dict[type, Contribution[Any]] = {}
_version = [0]
"""Bumped on each change of the table, so caches of what is derived from it (the plan's rules) renew."""


def register(contribution: Contribution[F]) -> Contribution[F]:
    """Adds ``contribution`` after those registered before; a second one for the same facet type is an error."""
    if contribution.facet in _TABLE:
        raise ValueError(f"a contribution of {contribution.facet.__name__} is already registered")
    _TABLE[contribution.facet] = contribution
    _version[0] += 1
    return contribution


def unregister(facet: type) -> None:
    """Takes a facet type's contribution out again (tests that register their own)."""
    del _TABLE[facet]
    _version[0] += 1


def version() -> int:
    return _version[0]


def registered() -> tuple[Contribution[Any], ...]:
    return tuple(_TABLE.values())


def of(w: spec.Workload) -> Iterator[tuple[Any, Contribution[Any]]]:
    """The workload's facets that contribute, each with its contribution, in the table's order."""
    if not w.facets:  # most workloads of an app have none: asked for every policy and compose service
        return
    for kind, contribution in _TABLE.items():
        facet = w.facet(kind)
        if facet is not None:
            yield facet, contribution


def fronted(w: spec.Workload) -> bool:
    """A facet's component (Knative's gateway) receives the workload's requests and forwards them."""
    return any(c.fronts for _, c in of(w))
