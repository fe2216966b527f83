"""What scales a workload: a HorizontalPodAutoscaler on resources or custom metrics, and a VerticalPodAutoscaler
that only recommends requests."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from shipform import spec
from shipform.render.controllers import metadata, obj
from shipform.render.plan import controller
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey


def autoscaler(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    autoscaling = w.facet(spec.Autoscaling)
    assert autoscaling is not None
    scale, target = autoscaling.settings, controller(w)
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
    behavior: dict[str, Any] = {}  # only what differs from Kubernetes' own
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
    if behavior:
        body["behavior"] = behavior
    return obj("autoscaling/v2", "HorizontalPodAutoscaler", metadata(w), spec=body)


def recommender(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """A VerticalPodAutoscaler that only recommends (updateMode Off): resizing pods itself would evict them, fight
    a CPU autoscaler and drift from the resources in git."""
    target = controller(w)
    return obj("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", metadata(w), spec={
        "targetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
        "updatePolicy": {"updateMode": "Off"},
        "resourcePolicy": {"containerPolicies": [{"containerName": w.name,
                                                  "controlledResources": ["cpu", "memory"]}]},
    })
