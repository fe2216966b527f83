"""ingress-nginx: the Ingress of class 'nginx', whose controller pods are admitted by their chart's labels; it splits
the public traffic by weight (a routed canary's second Ingress with its canary annotations) and steers Argo Rollouts'
canary by the same mechanism."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.providers.exposure.ingress_object import elsewhere, planned_ingress
from shipform.providers.exposure.protocol import Planned

CONTROLLER_PODS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
"""The labels ingress-nginx's own manifests and chart give its controller pods."""


class IngressNginx:
    """ingress-nginx: an Ingress of its class, its controller's pods admitted alone, exact canary weights by a canary
    Ingress."""

    name = "nginx"
    ingress_class = "nginx"
    default_pods = CONTROLLER_PODS
    splits_traffic = True
    holds_certificate = True
    roles = ("ingress", "canary-ingress")

    def plan(self, w: spec.Workload, exposure: spec.Exposure) -> list[Planned]:
        return [planned_ingress(w, exposure)]

    def canary_plan(self, canary: spec.Workload, exposure: spec.Exposure, split: spec.CanarySplit) -> list[Planned]:
        """The Ingress that sends ``split.weight`` percent of the requests to the canary (the stable Ingress holds
        the certificate)."""
        return [planned_ingress(canary, exposure, "canary-ingress", {
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": str(split.weight)})]

    def argo_traffic_routing(self, name: str) -> dict[str, Any] | None:
        return {"nginx": {"stableIngress": name}}

    def request_metrics(self, name: str, namespace: str, host: str) -> spec.RequestMetrics | None:
        """The controller's own request counter and duration histogram, selected by the Ingress's host: its
        ``namespace`` label becomes ``exported_namespace`` when the ServiceMonitor does not honor labels (the chart's
        default), and the host covers a canary Ingress of the same host too. The buckets are its ``--time-buckets``
        default (Prometheus' DefBuckets)."""
        return spec.RequestMetrics(
            "ingress-nginx", "nginx_ingress_controller_requests", 'status=~"5.."',
            "nginx_ingress_controller_request_duration_seconds_bucket", f'host="{host}"',
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), 1.0)

    def missing(self, w: spec.Workload, role: str) -> str:
        return elsewhere(w, canary=role == "canary-ingress")


NGINX = IngressNginx()
