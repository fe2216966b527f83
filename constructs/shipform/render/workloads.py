"""The Kubernetes objects of one workload: its ServiceAccount, NetworkPolicy, controller (Deployment,
StatefulSet, Job or CronJob), Services, Ingress, autoscaler, disruption budget and claims."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render import keda, knative, mesh, monitoring, network, pod, rollouts
from shipform.spec.manifest import Manifest
from shipform.values.resources import Autoscale

# Argo CD applies a sync in waves and waits for each wave to be healthy before the next. Everything a
# workload needs comes first (namespaces, RBAC, policies, secrets, claims), then the databases, then the
# migrations (Sync hooks: re-created and run to completion on every sync), then the workloads (wave 0).
FOUNDATION_WAVE, DATA_WAVE, MIGRATION_WAVE = -3, -2, -1
SYNC_HOOK = {
    "argocd.argoproj.io/hook": "Sync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
}
# A Job's pod template is immutable: a changed one-off Job is replaced (deleted and created) on apply.
RECREATE_ON_CHANGE = {
    "argocd": {"argocd.argoproj.io/sync-options": "Force=true,Replace=true"},
    "flux": {"kustomize.toolkit.fluxcd.io/force": "enabled"},
    "kubectl": {},  # the deploy workflow replaces a changed Job itself
}


def obj(api_version: str, kind: str, metadata: dict[str, Any], **body: Any) -> Manifest:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def metadata(w: spec.Workload, name: str | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name or w.name, "namespace": w.namespace, "labels": w.labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def wave(number: int, gitops: spec.GitOps) -> dict[str, str]:
    return {"argocd.argoproj.io/sync-wave": str(number)} if gitops == "argocd" else {}


def job_annotations(w: spec.Workload, run: spec.ToCompletion, gitops: spec.GitOps) -> dict[str, str]:
    if run.pre_sync_hook and gitops == "argocd":
        return {**SYNC_HOOK, **wave(MIGRATION_WAVE, gitops)}
    return RECREATE_ON_CHANGE[gitops]


def accepted(w: spec.Workload) -> dict[str, str]:
    """checkov reads accepted risks from the object's own annotations: checkov.io/skip<N>: <check>=<reason>
    (trivy's KSV-* go to .trivyignore.yaml)."""
    checkov = [r for r in w.accepted_risks if r.check.startswith("CKV")]
    return {f"checkov.io/skip{i}": f"{r.check}={r.reason}" for i, r in enumerate(checkov, 1)}


def workload_objects(w: spec.Workload, gitops: spec.GitOps = "argocd", cilium: bool = False) -> list[Manifest]:
    """The workload's objects, with the annotations that order the first sync under ``gitops``; ``cilium``
    adds a CiliumNetworkPolicy for servers outside the cluster known by name."""
    run = w.run
    foundation = wave(FOUNDATION_WAVE, gitops)
    objects = [] if w.config is None else [
        obj("v1", "ConfigMap", metadata(w, w.config.name, foundation), immutable=True, data=w.config.data)]
    objects += [
        obj("v1", "ServiceAccount", metadata(w, annotations=foundation), automountServiceAccountToken=False),
        obj("networking.k8s.io/v1", "NetworkPolicy", metadata(w, annotations=foundation),
            spec=network.network_policy_spec(w, cilium)),
    ]
    fqdn = network.fqdn_policy_spec(w) if cilium else None
    if fqdn is not None:
        objects.append(obj("cilium.io/v2", "CiliumNetworkPolicy", metadata(w, f"{w.name}-fqdn", foundation),
                           spec=fqdn))
    if isinstance(run, spec.Continuous):
        objects += long_running_objects(w, run, gitops)
    elif isinstance(run, spec.ToCompletion):
        annotations = {**job_annotations(w, run, gitops), **accepted(w)}
        objects.append(obj("batch/v1", "Job", metadata(w, annotations=annotations), spec=job_spec(w, run)))
    elif isinstance(run, spec.PerNode):
        objects.append(daemon_set(w, run))
    else:
        objects.append(obj("batch/v1", "CronJob", metadata(w, annotations=accepted(w)),
                           spec=cron_job_spec(w, run)))
    objects += [claim(w, v.source, gitops) for v in w.volumes if isinstance(v.source, spec.Claim)]
    if w.mesh is not None:
        objects += mesh.workload_objects(w, w.mesh)
    return objects


def long_running_objects(w: spec.Workload, run: spec.Continuous, gitops: spec.GitOps) -> list[Manifest]:
    """Databases (stateful) come in a wave of their own: migrations and clients start once they are healthy."""
    if run.serverless is not None:  # Knative runs it: its own Services, autoscaler and rollout
        return [knative.knative_service(w, run.serverless),
                *([knative.domain_mapping(w, w.exposure)] if w.exposure is not None else [])]
    data = wave(DATA_WAVE, gitops) if run.stateful else {}
    stable = replace(w, image=run.split.stable_image) if run.split else w  # the new version runs as the canary
    objects = [stateful_set(w, data) if run.stateful else deployment(stable, run)]
    if w.ports:
        objects.append(service(w, data))
    if run.progressive is not None:
        objects += progressive_objects(w, run.progressive)
    if run.split is not None:
        objects += canary_objects(w, run, run.split, gitops)
    if run.stateful:
        objects.append(headless_service(w, data))
    if run.min_replicas > 1:  # with one replica a budget would either permit every eviction or block drains
        budget = {"maxUnavailable": 1, "selector": {"matchLabels": w.selector}}
        objects.append(obj("policy/v1", "PodDisruptionBudget", metadata(w, annotations=data), spec=budget))
    if run.autoscale is not None:
        objects.append(autoscaler(w, run.autoscale, controller_of(run)))
    if run.queue_scaling is not None:
        objects += keda.queue_scaler(w, run.queue_scaling, controller_of(run))
    if run.recommend_resources:
        objects.append(recommender(w, controller_of(run)))
    if w.exposure is not None:
        objects.append(route(w, w.exposure, run.split) if w.exposure.gateway else ingress(w, w.exposure))
    if w.scrape is not None and not w.ports:  # a Worker: its pods are scraped (no dashboard: it serves nothing)
        objects.append(monitoring.service_monitor(w, w.scrape))
    elif w.scrape is not None:  # the dashboard is a ConfigMap: with the others, in the foundation wave
        board = metadata(w, f"{w.name}-dashboard", wave(FOUNDATION_WAVE, gitops))
        board["labels"] = {**w.labels, **monitoring.DASHBOARD_LABEL}
        objects += [monitoring.service_monitor(w, w.scrape),
                    obj("v1", "ConfigMap", board, data=monitoring.dashboard(w, w.scrape))]
    return objects


def canary_copy(w: spec.Workload, run: spec.Continuous, split: spec.CanarySplit) -> spec.Workload:
    """The new version as a workload of its own, ``<name>-canary``: the same pod (image, env, config, connections),
    a fixed number of replicas, reached by the router alone."""
    return replace(w, name=f"{w.name}-canary", clients=(), platform_clients=(),
                   run=replace(run, replicas=split.replicas, autoscale=None, recommend_resources=False, split=None))


def canary_objects(w: spec.Workload, run: spec.Continuous, split: spec.CanarySplit,
                   gitops: spec.GitOps) -> list[Manifest]:
    """The canary's ServiceAccount, NetworkPolicy, Deployment and Service (its ConfigMap is the stable one's:
    the same content), its mesh policies, and behind ingress-nginx the canary Ingress that sends it ``weight``
    percent of the requests."""
    canary = canary_copy(w, run, split)
    assert isinstance(canary.run, spec.Continuous)
    foundation = wave(FOUNDATION_WAVE, gitops)
    objects = [
        obj("v1", "ServiceAccount", metadata(canary, annotations=foundation), automountServiceAccountToken=False),
        obj("networking.k8s.io/v1", "NetworkPolicy", metadata(canary, annotations=foundation),
            spec=network.network_policy_spec(canary)),
        deployment(canary, canary.run),
        service(canary, {}),
    ]
    if w.mesh is not None:
        objects += mesh.workload_objects(canary, w.mesh)
    if split.router == "nginx" and w.exposure is not None:
        weighted = {"nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": str(split.weight)}
        body = ingress(canary, w.exposure)
        body["metadata"]["annotations"] = weighted  # the stable Ingress holds the certificate
        objects.append(body)
    return objects


def controller_of(run: spec.Continuous) -> tuple[str, str]:
    """(apiVersion, kind) of what runs the pods: autoscalers point at it."""
    if run.stateful:
        return "apps/v1", "StatefulSet"
    return (rollouts.API, "Rollout") if run.progressive else ("apps/v1", "Deployment")


def progressive_objects(w: spec.Workload, rollout: spec.ArgoRollout) -> list[Manifest]:
    """The second Service (its own name label, so the ServiceMonitor does not scrape the pods twice) and the
    analysis."""
    objects = []
    second = rollout.second_service
    if second is not None:
        body = service(w, {})
        body["metadata"] = {**metadata(w, second), "labels": {**w.labels, "app.kubernetes.io/name": second}}
        objects.append(body)
    analysis = rollout.strategy.analysis
    if analysis is not None:
        assert rollout.prometheus is not None
        objects.append(rollouts.analysis_template(w, analysis, rollout.prometheus))
    return objects


def deployment(w: spec.Workload, run: spec.Continuous) -> Manifest:
    body: dict[str, Any] = {}
    if not run.count_owned_elsewhere:
        body["replicas"] = run.replicas
    single_attach = any(isinstance(v.source, spec.Claim) and v.source.access_mode != "ReadWriteMany"
                        for v in w.volumes)
    body.update({
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": w.selector},
        # Never below the wanted count during a rollout: new pods must be ready before old ones go. A claim that
        # attaches to one node cannot serve a surge pod elsewhere: the old pod goes first instead.
        "strategy": {"type": "Recreate"} if single_attach else
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": run.rolling.max_surge,
                                                    "maxUnavailable": run.rolling.max_unavailable}},
        "template": pod.pod_template(w),
    })
    if run.progressive is not None:  # the same pods, replaced by Argo Rollouts' steps instead
        body["strategy"] = rollouts.strategy(w, run.progressive)
        return obj(rollouts.API, "Rollout", metadata(w, annotations=accepted(w)), spec=body)
    return obj("apps/v1", "Deployment", metadata(w, annotations=accepted(w)), spec=body)


def daemon_set(w: spec.Workload, run: spec.PerNode) -> Manifest:
    """One pod per node, replaced ``max_unavailable`` nodes at a time (a node never runs two)."""
    return obj("apps/v1", "DaemonSet", metadata(w, annotations=accepted(w)), spec={
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": w.selector},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": run.max_unavailable}},
        "template": pod.pod_template(w),
    })


def stateful_set(w: spec.Workload, order: dict[str, str]) -> Manifest:
    templates = []
    for v in w.volumes:
        if isinstance(v.source, spec.ClaimTemplate):
            templates.append({"metadata": {"name": v.name, "labels": w.selector}, "spec": claim_spec(v.source)})
    annotations = {**order, **accepted(w)}
    return obj("apps/v1", "StatefulSet", metadata(w, annotations=annotations), spec={
        "replicas": 1,
        "serviceName": f"{w.name}-headless",
        "podManagementPolicy": "OrderedReady",
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": w.selector},
        "updateStrategy": {"type": "RollingUpdate"},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "template": pod.pod_template(w),
        "volumeClaimTemplates": templates,
    })


def service_ports(w: spec.Workload) -> list[dict[str, Any]]:
    return [{"name": p.name, "port": p.number, "targetPort": p.name, "protocol": "TCP",
             **({"appProtocol": p.app_protocol} if p.app_protocol else {})} for p in w.ports]


def service(w: spec.Workload, order: dict[str, str]) -> Manifest:
    body: dict[str, Any] = {"type": w.access.type, "selector": w.selector, "ports": service_ports(w)}
    if w.access.type != "ClusterIP":
        # Local: no second hop through another node, and the client's own address reaches the pod (so the
        # NetworkPolicy can admit source ranges).
        body["externalTrafficPolicy"] = "Local"
    if w.access.type == "LoadBalancer" and w.access.source_ranges:
        body["loadBalancerSourceRanges"] = list(w.access.source_ranges)
    return obj("v1", "Service", metadata(w, annotations={**order, **mesh.service_annotations(w)}), spec=body)


def headless_service(w: spec.Workload, order: dict[str, str]) -> Manifest:
    """Stable names for a StatefulSet's pods, published before they are ready (peers find each other)."""
    return obj("v1", "Service", metadata(w, f"{w.name}-headless", annotations=order), spec={
        "clusterIP": "None", "publishNotReadyAddresses": True, "selector": w.selector, "ports": service_ports(w)})


def autoscaler(w: spec.Workload, scale: Autoscale, target: tuple[str, str]) -> Manifest:
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


def recommender(w: spec.Workload, target: tuple[str, str]) -> Manifest:
    """A VerticalPodAutoscaler that only recommends (updateMode Off): resizing pods itself would evict them, fight
    a CPU autoscaler and drift from the resources in git."""
    return obj("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", metadata(w), spec={
        "targetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
        "updatePolicy": {"updateMode": "Off"},
        "resourcePolicy": {"containerPolicies": [{"containerName": w.name,
                                                  "controlledResources": ["cpu", "memory"]}]},
    })


def ingress(w: spec.Workload, exposure: spec.Exposure) -> Manifest:
    annotations = {"cert-manager.io/cluster-issuer": exposure.cluster_issuer} if exposure.cluster_issuer else None
    backend = {"service": {"name": w.name, "port": {"name": w.ports[0].name}}}
    return obj("networking.k8s.io/v1", "Ingress", metadata(w, annotations=annotations), spec={
        "ingressClassName": exposure.ingress_class,
        "tls": [{"hosts": [exposure.host], "secretName": exposure.tls_secret}],
        "rules": [{"host": exposure.host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": backend}]}}],
    })


def route(w: spec.Workload, exposure: spec.Exposure, split: spec.CanarySplit | None = None) -> Manifest:
    """A Gateway API HTTPRoute for ``host``, attached to the Environment's Gateway (which holds TLS); with a routed
    canary, ``weight`` percent of the requests go to ``<name>-canary``."""
    assert exposure.gateway is not None
    namespace, _, name = exposure.gateway.partition("/")
    return obj("gateway.networking.k8s.io/v1", "HTTPRoute", metadata(w), spec={
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": namespace,
                        "name": name}],
        "hostnames": [exposure.host],
        "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                   "backendRefs": [{"name": w.name, "port": w.ports[0].number}] if split is None else [
                       {"name": w.name, "port": w.ports[0].number, "weight": 100 - split.weight},
                       {"name": f"{w.name}-canary", "port": w.ports[0].number, "weight": split.weight}]}],
    })


def job_spec(w: spec.Workload, run: spec.ToCompletion) -> dict[str, Any]:
    body: dict[str, Any] = {"backoffLimit": run.backoff_limit, "activeDeadlineSeconds": run.active_deadline_seconds}
    if run.ttl_seconds_after_finished is not None:
        body["ttlSecondsAfterFinished"] = run.ttl_seconds_after_finished
    body["template"] = pod.pod_template(w)
    return body


def cron_job_spec(w: spec.Workload, run: spec.Scheduled) -> dict[str, Any]:
    body: dict[str, Any] = {"schedule": run.schedule}
    if run.time_zone:
        body["timeZone"] = run.time_zone
    body.update({
        "concurrencyPolicy": run.concurrency_policy,
        "startingDeadlineSeconds": run.starting_deadline_seconds,
        "successfulJobsHistoryLimit": run.successful_jobs_history_limit,
        "failedJobsHistoryLimit": run.failed_jobs_history_limit,
        "jobTemplate": {"metadata": {"labels": w.labels}, "spec": job_spec(w, run.job)},
    })
    return body


def claim(w: spec.Workload, source: spec.Claim, gitops: spec.GitOps) -> Manifest:
    return obj("v1", "PersistentVolumeClaim", metadata(w, source.name, wave(FOUNDATION_WAVE, gitops)),
               spec=claim_spec(source))


def claim_spec(source: spec.Claim | spec.ClaimTemplate) -> dict[str, Any]:
    body: dict[str, Any] = {"accessModes": [source.access_mode],
                            "resources": {"requests": {"storage": str(source.size)}}}
    if source.storage_class:
        body["storageClassName"] = source.storage_class
    return body
