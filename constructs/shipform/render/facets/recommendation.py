"""Resource recommendations (the ResourceRecommendation facet): a VerticalPodAutoscaler that only recommends
(updateMode Off): resizing pods itself would evict them, fight a CPU autoscaler and drift from the resources in
git."""

from __future__ import annotations

from shipform import spec
from shipform.render.contributions import Contribution, Rule
from shipform.render.running import controller, not_long_running
from shipform.spec.plan import ObjectKey, Planned

API = "autoscaling.k8s.io/v1"


def _recommended(w: spec.Workload, cilium: bool) -> str | None:
    if w.facet(spec.ResourceRecommendation) is None:
        return f"{w.name} has no recommend_resources=True"
    return not_long_running(w)


def _recommender(w: spec.Workload) -> list[Planned]:
    target = controller(w)
    return [Planned(ObjectKey("recommender", API, "VerticalPodAutoscaler", w.name, w.namespace), w.labels,
                    lambda: {"spec": {
                        "targetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
                        "updatePolicy": {"updateMode": "Off"},
                        "resourcePolicy": {"containerPolicies": [{"containerName": w.name,
                                                                  "controlledResources": ["cpu", "memory"]}]}}})]


CONTRIBUTION = Contribution(spec.ResourceRecommendation, rules=(Rule("recommender", _recommended,
                                                                     objects=_recommender),))
