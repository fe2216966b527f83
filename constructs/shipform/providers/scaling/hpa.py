"""A HorizontalPodAutoscaler on resources or custom metrics (from a metrics adapter); its behaviour states only
what differs from Kubernetes' own."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.providers.scaling.protocol import Planned, SetsTheReplicaCount
from shipform.spec.plan import ObjectKey
from shipform.values.resources import Autoscale

API = "autoscaling/v2"


class HorizontalPodAutoscaler(SetsTheReplicaCount):
    """A HorizontalPodAutoscaler scales the controller on CPU, memory and custom or external metrics (Autoscale)."""

    name = "hpa"
    facet = spec.Autoscaling
    roles = ("autoscaler",)

    def plan(self, w: spec.Workload, target: tuple[str, str]) -> list[Planned]:
        scaling = w.facet(spec.Autoscaling)
        assert scaling is not None
        return [Planned(ObjectKey("autoscaler", API, "HorizontalPodAutoscaler", w.name, w.namespace), w.labels,
                        lambda: {"spec": _spec(w, scaling.settings, target)})]

    def missing(self, w: spec.Workload, role: str) -> str:
        return f"{w.name} has no autoscale="



def _spec(w: spec.Workload, scale: Autoscale, target: tuple[str, str]) -> dict[str, Any]:
    resources = [(name, percent) for name, percent in (("cpu", scale.cpu_percent), ("memory", scale.memory_percent))
                 if percent is not None]
    metrics: list[dict[str, Any]] = [{"type": "Resource", "resource": {"name": name, "target": {
        "type": "Utilization", "averageUtilization": percent}}} for name, percent in resources]
    for custom in scale.metrics:
        metric: dict[str, Any] = {"name": custom.name}
        if custom.selector:
            metric["selector"] = {"matchLabels": dict(custom.selector)}
        kind = "Pods" if custom.source == "pods" else "External"
        metrics.append({"type": kind, kind.lower(): {"metric": metric, "target": {
            "type": "AverageValue", "averageValue": custom.average}}})
    body: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
        "minReplicas": scale.min,
        "maxReplicas": scale.max,
        "metrics": metrics,
    }
    behavior = _behavior(scale)
    if behavior:
        body["behavior"] = behavior
    return body


def _behavior(scale: Autoscale) -> dict[str, Any]:
    """Only what differs from Kubernetes' own."""
    behavior: dict[str, Any] = {}
    up: dict[str, Any] = {}
    if scale.scale_up_seconds:
        up["stabilizationWindowSeconds"] = scale.scale_up_seconds
    if scale.scale_up_pods is not None:
        up["policies"] = [{"type": "Pods", "value": scale.scale_up_pods, "periodSeconds": 60}]
    if up:
        behavior["scaleUp"] = up
    down: dict[str, Any] = {}
    if scale.scale_down_seconds != 300:
        down["stabilizationWindowSeconds"] = scale.scale_down_seconds
    if scale.scale_down_percent is not None:
        down["policies"] = [{"type": "Percent", "value": scale.scale_down_percent, "periodSeconds": 60}]
    if down:
        behavior["scaleDown"] = down
    return behavior


HPA = HorizontalPodAutoscaler()
