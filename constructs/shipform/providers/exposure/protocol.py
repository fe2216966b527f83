"""What an exposure provider answers: which objects publish a public service (an Ingress, an HTTPRoute, ...), what
its controller's pods are labelled by default, and what it can do for a rollout: split the public traffic by weight
for a routed canary, or steer Argo Rollouts' canary.

A provider lists its objects as :class:`~shipform.spec.plan.Planned` entries (the key in the plan and how the body is
built), so the plan and the bodies come from one list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from shipform import spec
from shipform.spec.plan import Planned

__all__ = ["ExposureProvider", "Planned"]


class ExposureProvider(Protocol):
    """One way of publishing a public service; registered in ``shipform.providers.exposure.EXPOSURES``."""

    @property
    def name(self) -> str:
        """What ``Exposure(provider=...)`` calls it ('nginx')."""
        ...

    @property
    def ingress_class(self) -> str | None:
        """The Ingress class it is chosen by (``Environment(ingress_class=...)``), or None: the generic Ingress (any
        class no provider claims), or a provider chosen otherwise (a Gateway, by ``gateway=``)."""
        ...

    @property
    def default_pods(self) -> Mapping[str, str] | None:
        """The labels of the controller's pods, which public services admit alone unless the Environment says
        otherwise (``ingress_pods=``); None admits the controller's whole namespace."""
        ...

    @property
    def splits_traffic(self) -> bool:
        """It can send a weighted share of the public traffic to a routed canary (``RoutedCanary``)."""
        ...

    @property
    def holds_certificate(self) -> bool:
        """Its object names the workload's TLS Secret, which cert-manager issues into; False when TLS ends
        elsewhere (at a Gateway, in its own namespace)."""
        ...

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles of the objects it may plan (what the constructs' handles name)."""
        ...

    def plan(self, w: spec.Workload, exposure: spec.Exposure) -> list[Planned]:
        """The objects that publish ``w`` (with a routed canary, split between it and ``<name>-canary``)."""
        ...

    def canary_plan(self, canary: spec.Workload, exposure: spec.Exposure, split: spec.CanarySplit) -> list[Planned]:
        """The objects a routed canary's copy (``canary``, named ``<name>-canary``) adds to split the traffic (role
        'canary-<what>'); none where ``plan`` splits it already."""
        ...

    def argo_traffic_routing(self, name: str) -> dict[str, Any] | None:
        """Argo Rollouts' ``trafficRouting`` through this provider for the workload ``name`` (exact canary weights),
        or None: Argo Rollouts then sets the canary's share by its share of the pods."""
        ...

    def request_metrics(self, name: str, namespace: str, host: str) -> spec.RequestMetrics | None:
        """Where its controller counts the requests of the public service ``name`` of ``namespace`` under ``host``
        (a service level objective's indicator), or None when shipform knows no such metrics of it."""
        ...

    def missing(self, w: spec.Workload, role: str) -> str:
        """Why the public ``w`` has no object of ``role``, one of this provider's roles: another provider publishes
        it, or splits its canary's traffic otherwise."""
        ...
