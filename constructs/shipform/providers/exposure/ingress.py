"""A plain Ingress of whatever class the Environment names (Traefik, HAProxy, a cloud's controller): TLS for the host
from its Secret (issued by cert-manager with ``cluster_issuer=``); no weighted split of the traffic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipform import spec
from shipform.providers.exposure.ingress_object import elsewhere, planned_ingress
from shipform.providers.exposure.protocol import Planned


class Ingress:
    """The Ingress of any class no other provider claims."""

    name = "ingress"
    ingress_class: str | None = None
    default_pods: Mapping[str, str] | None = None
    splits_traffic = False
    holds_certificate = True
    roles = ("ingress",)

    def plan(self, w: spec.Workload, exposure: spec.Exposure) -> list[Planned]:
        return [planned_ingress(w, exposure)]

    def canary_plan(self, canary: spec.Workload, exposure: spec.Exposure, split: spec.CanarySplit) -> list[Planned]:
        return []  # no split: the model refuses a RoutedCanary here

    def argo_traffic_routing(self, name: str) -> dict[str, Any] | None:
        return None

    def request_metrics(self, name: str, namespace: str, host: str) -> spec.RequestMetrics | None:
        return None  # any controller: no metric names shipform could rely on

    def missing(self, w: spec.Workload, role: str) -> str:
        return elsewhere(w)


INGRESS = Ingress()
