"""Argo Rollouts: a Rollout in place of a workload's Deployment (canary steps or a blue-green switch), the second
Service it steers (canary or preview), and the AnalysisTemplate that can abort a bad version."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.providers.rollout.protocol import Planned
from shipform.spec.plan import ObjectKey
from shipform.values.rollout import PROMOTE, Analysis, BlueGreen

API = "argoproj.io/v1alpha1"
REVISION_LABEL = "rollouts-pod-template-hash"
"""The label Argo Rollouts gives each version's pods (and adds to the Services' selectors)."""


class ArgoRollouts:
    """Argo Rollouts replaces the Deployment by a Rollout that steps a canary or a blue-green, with an optional
    analysis (Canary, BlueGreen)."""

    name = "argo"
    facet = spec.ArgoRollout
    controller_in_cluster = True
    roles = ("second-service", "analysis-template")
    companion_roles: tuple[str, ...] = ()

    def controller(self, w: spec.Workload) -> tuple[str, str] | None:
        return API, "Rollout"

    def strategy(self, w: spec.Workload, traffic_routing: dict[str, Any] | None) -> dict[str, Any] | None:
        rollout = _rollout(w)
        plan = rollout.strategy
        new_pods_behind = rollout.second_service or w.name
        if isinstance(plan, BlueGreen):
            body: dict[str, Any] = {"activeService": w.name, "previewService": new_pods_behind,
                                    "autoPromotionEnabled": plan.auto_promote_seconds is not None}
            if plan.auto_promote_seconds:
                body["autoPromotionSeconds"] = plan.auto_promote_seconds
            body["scaleDownDelaySeconds"] = plan.scale_down_delay_seconds
            if plan.analysis is not None:
                body["prePromotionAnalysis"] = _analysis_run(w, new_pods_behind)
            return {"blueGreen": body}
        steps: list[dict[str, Any]] = [{"setWeight": s} if isinstance(s, int) else {"pause": {}} if s == PROMOTE
                                       else {"pause": {"duration": s}} for s in plan.steps]
        canary: dict[str, Any] = {}
        if traffic_routing is not None:
            canary.update(canaryService=new_pods_behind, stableService=w.name, trafficRouting=traffic_routing)
        else:  # the share of the pods sets the share of the traffic: never fewer ready pods than wanted
            canary.update(maxSurge="25%", maxUnavailable=0)
        canary["steps"] = steps
        if plan.analysis is not None:
            canary["analysis"] = _analysis_run(w, new_pods_behind)
        return {"canary": canary}

    def stable(self, w: spec.Workload) -> spec.Workload:
        return w

    def second_service(self, w: spec.Workload) -> str | None:
        return _rollout(w).second_service

    def companion(self, w: spec.Workload) -> spec.Workload | None:
        return None

    def plan(self, w: spec.Workload) -> list[Planned]:
        rollout = _rollout(w)
        analysis, prometheus = rollout.strategy.analysis, rollout.prometheus
        if analysis is None:
            return []
        assert prometheus is not None
        return [Planned(ObjectKey("analysis-template", API, "AnalysisTemplate", w.name, w.namespace), w.labels,
                        lambda: {"spec": _analysis_template(analysis, prometheus)})]

    def missing(self, w: spec.Workload, role: str) -> str:
        if role == "second-service":
            return f"{w.name} has no second Service (a BlueGreen, or a Canary behind ingress-nginx, has one)"
        return f"{w.name} rolls out without an Analysis"


def _rollout(w: spec.Workload) -> spec.ArgoRollout:
    rollout = w.facet(spec.ArgoRollout)
    assert rollout is not None
    return rollout


def _analysis_run(w: spec.Workload, service: str) -> dict[str, Any]:
    return {"templates": [{"templateName": w.name}],
            "args": [{"name": "namespace", "value": w.namespace}, {"name": "service", "value": service},
                     {"name": "revision", "valueFrom": {"podTemplateHashValue": "Latest"}}]}


def _analysis_template(analysis: Analysis, prometheus: str) -> dict[str, Any]:
    return {"args": [{"name": "namespace"}, {"name": "service"}, {"name": "revision"}],
            "metrics": [{"name": "analysis", "interval": analysis.interval, "count": analysis.count,
                         "failureLimit": analysis.failure_limit, "successCondition": analysis.success,
                         "provider": {"prometheus": {"address": prometheus, "query": analysis.query}}}]}


ARGO = ArgoRollouts()
