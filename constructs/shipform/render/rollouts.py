"""Argo Rollouts objects: a Rollout in place of a workload's Deployment (canary steps or a blue-green switch),
the second Service it steers (canary or preview), and the AnalysisTemplate that can abort a bad version."""

from __future__ import annotations

from shipform import spec
from shipform.spec.manifest import Manifest
from shipform.values.rollout import PROMOTE, Analysis, BlueGreen

API = "argoproj.io/v1alpha1"
REVISION_LABEL = "rollouts-pod-template-hash"
"""The label Argo Rollouts gives each version's pods (and adds to the Services' selectors)."""


def strategy(w: spec.Workload, rollout: spec.ArgoRollout) -> Manifest:
    plan = rollout.strategy
    new_pods_behind = rollout.second_service or w.name
    if isinstance(plan, BlueGreen):
        body: Manifest = {"activeService": w.name, "previewService": new_pods_behind,
                          "autoPromotionEnabled": plan.auto_promote_seconds is not None}
        if plan.auto_promote_seconds:
            body["autoPromotionSeconds"] = plan.auto_promote_seconds
        body["scaleDownDelaySeconds"] = plan.scale_down_delay_seconds
        if plan.analysis is not None:
            body["prePromotionAnalysis"] = analysis_run(w, new_pods_behind)
        return {"blueGreen": body}
    steps: list[Manifest] = [{"setWeight": s} if isinstance(s, int) else {"pause": {}} if s == PROMOTE
                             else {"pause": {"duration": s}} for s in plan.steps]
    canary: Manifest = {}
    if rollout.traffic == "nginx":
        canary.update(canaryService=new_pods_behind, stableService=w.name,
                      trafficRouting={"nginx": {"stableIngress": w.name}})
    else:  # the share of the pods sets the share of the traffic: never fewer ready pods than wanted
        canary.update(maxSurge="25%", maxUnavailable=0)
    canary["steps"] = steps
    if plan.analysis is not None:
        canary["analysis"] = analysis_run(w, new_pods_behind)
    return {"canary": canary}


def analysis_run(w: spec.Workload, service: str) -> Manifest:
    return {"templates": [{"templateName": w.name}],
            "args": [{"name": "namespace", "value": w.namespace}, {"name": "service", "value": service},
                     {"name": "revision", "valueFrom": {"podTemplateHashValue": "Latest"}}]}


def analysis_template(w: spec.Workload, analysis: Analysis, prometheus: str) -> Manifest:
    return {"apiVersion": API, "kind": "AnalysisTemplate",
            "metadata": {"name": w.name, "namespace": w.namespace, "labels": w.labels},
            "spec": {"args": [{"name": "namespace"}, {"name": "service"}, {"name": "revision"}],
                     "metrics": [{"name": "analysis", "interval": analysis.interval, "count": analysis.count,
                                  "failureLimit": analysis.failure_limit,
                                  "successCondition": analysis.success,
                                  "provider": {"prometheus": {"address": prometheus, "query": analysis.query}}}]}}
