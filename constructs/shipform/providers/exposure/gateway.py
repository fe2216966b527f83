"""Gateway API: an HTTPRoute for the host attached to the Environment's Gateway (``gateway='<namespace>/<name>'``),
which holds TLS itself; a routed canary's share is a weight of the route's backends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipform import spec
from shipform.providers.exposure.protocol import Planned
from shipform.spec.plan import ObjectKey

API = "gateway.networking.k8s.io/v1"


class GatewayApi:
    """Gateway API: an HTTPRoute attached to the Environment's Gateway, which terminates TLS; canary weights by the
    route's backends."""

    name = "gateway"
    ingress_class: str | None = None
    default_pods: Mapping[str, str] | None = None
    splits_traffic = True
    holds_certificate = False
    roles = ("route",)

    def plan(self, w: spec.Workload, exposure: spec.Exposure) -> list[Planned]:
        return [Planned(ObjectKey("route", API, "HTTPRoute", w.name, w.namespace), w.labels,
                        lambda: {"spec": _route(w, exposure)})]

    def canary_plan(self, canary: spec.Workload, exposure: spec.Exposure, split: spec.CanarySplit) -> list[Planned]:
        return []  # the HTTPRoute weighs both versions

    def argo_traffic_routing(self, name: str) -> dict[str, Any] | None:
        return None

    def request_metrics(self, name: str, namespace: str, host: str) -> spec.RequestMetrics | None:
        return None  # each Gateway implementation names its metrics its own way

    def missing(self, w: spec.Workload, role: str) -> str:
        return "the Environment has no gateway= (an Ingress publishes it)"


def _route(w: spec.Workload, exposure: spec.Exposure) -> dict[str, Any]:
    """With a routed canary, ``weight`` percent of the requests go to ``<name>-canary``."""
    assert exposure.gateway is not None
    namespace, _, name = exposure.gateway.partition("/")
    split, port = w.facet(spec.CanarySplit), w.ports[0].number
    backends = [{"name": w.name, "port": port}] if split is None else [
        {"name": w.name, "port": port, "weight": 100 - split.weight},
        {"name": f"{w.name}-canary", "port": port, "weight": split.weight}]
    return {"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": namespace,
                            "name": name}],
            "hostnames": [exposure.host],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": backends}]}


GATEWAY = GatewayApi()
