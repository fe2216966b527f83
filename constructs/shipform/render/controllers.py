"""What runs a workload's pods, by how it runs: a Deployment (or an Argo Rollout), a StatefulSet, a DaemonSet, a Job,
a CronJob or a Knative Service; and the metadata every workload object shares."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render import exposure, pod, rollouts, rotation, scaling
from shipform.spec.manifest import Manifest, ObjectMeta
from shipform.spec.plan import ObjectKey

PLAIN_TEXT_REASON = "shipform.dev/plain-text-reason"


def obj(api_version: str, kind: str, metadata: ObjectMeta, **body: Any) -> Manifest:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def metadata(w: spec.Workload, name: str | None = None, annotations: dict[str, str] | None = None) -> ObjectMeta:
    meta: ObjectMeta = {"name": name or w.name, "namespace": w.namespace, "labels": w.labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def accepted(w: spec.Workload) -> dict[str, str]:
    """checkov reads accepted risks from the object's own annotations: checkov.io/skip<N>: <check>=<reason>
    (trivy's KSV-* go to .trivyignore.yaml)."""
    checkov = [r for r in w.accepted_risks if r.check.startswith("CKV")]
    return {f"checkov.io/skip{i}": f"{r.check}={r.reason}" for i, r in enumerate(checkov, 1)}


def controller(w: spec.Workload, key: ObjectKey) -> Manifest:
    """The object of ``key`` (its kind decided by the plan) that runs the workload's pods."""
    run = w.run
    if isinstance(run, spec.Continuous):
        if scaling.controller(w) is not None:  # the scaler runs it (Knative: its own Services and rollout)
            return scaling.controller_object(w, pod.pod_template(w))
        if run.stateful:
            return stateful_set(w, key)
        return deployment(rollouts.stable(w), run, key)  # a routed canary's new version runs as its companion
    if isinstance(run, spec.ToCompletion):
        return obj(key.api_version, key.kind, metadata(w, annotations=accepted(w)), spec=job_spec(w, run))
    if isinstance(run, spec.PerNode):
        return daemon_set(w, run, key)
    return obj(key.api_version, key.kind, metadata(w, annotations=accepted(w)), spec=cron_job_spec(w, run))


def deployment(w: spec.Workload, run: spec.Continuous, key: ObjectKey) -> Manifest:
    """A Deployment, or the Rollout that replaces the same pods by Argo Rollouts' steps instead."""
    body: dict[str, Any] = {}
    if not spec.count_owned_elsewhere(w):
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
    strategy = rollouts.strategy(w, exposure.traffic_routing(w))
    if strategy is not None:  # a rollout controller (Argo Rollouts) replaces the pods by its own steps
        body["strategy"] = strategy
    return obj(key.api_version, key.kind, metadata(w, annotations={**accepted(w), **rotation.reload(w)}), spec=body)


def daemon_set(w: spec.Workload, run: spec.PerNode, key: ObjectKey) -> Manifest:
    """One pod per node, replaced ``max_unavailable`` nodes at a time (a node never runs two)."""
    return obj(key.api_version, key.kind, metadata(w, annotations={**accepted(w), **rotation.reload(w)}), spec={
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": w.selector},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": run.max_unavailable}},
        "template": pod.pod_template(w),
    })


def stateful_set(w: spec.Workload, key: ObjectKey) -> Manifest:
    templates = []
    for v in w.volumes:
        if isinstance(v.source, spec.ClaimTemplate):
            templates.append({"metadata": {"name": v.name, "labels": w.selector}, "spec": claim_spec(v.source)})
    return obj(key.api_version, key.kind, metadata(w, annotations={**accepted(w), **server_tls(w)}), spec={
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


def server_tls(w: spec.Workload) -> dict[str, str]:
    """A database that speaks plain text where it would serve TLS says why; one whose certificate cert-manager
    renews asks stakater Reloader, where the cluster runs it, to restart it then (the engines read their certificate
    when they start)."""
    plain, cert = w.facet(spec.PlainText), w.facet(spec.ServerCertificate)
    if plain is not None:
        return {PLAIN_TEXT_REASON: plain.reason, **rotation.reload(w)}
    return rotation.reload(w, (cert.secret,) if cert is not None else ())


def job_spec(w: spec.Workload, run: spec.ToCompletion) -> dict[str, Any]:
    body: dict[str, Any] = {"backoffLimit": run.backoff_limit, "activeDeadlineSeconds": run.active_deadline_seconds}
    if run.ttl_seconds_after_finished is not None:
        body["ttlSecondsAfterFinished"] = run.ttl_seconds_after_finished
    body["template"] = pod.pod_template(w)
    return body


def cron_job_spec(w: spec.Workload, run: spec.Scheduled) -> dict[str, Any]:
    body: dict[str, Any] = {"schedule": run.schedule}
    if run.suspended:
        body["suspend"] = True
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


def claim_spec(source: spec.Claim | spec.ClaimTemplate) -> dict[str, Any]:
    body: dict[str, Any] = {"accessModes": [source.access_mode],
                            "resources": {"requests": {"storage": str(source.size)}}}
    if source.storage_class:
        body["storageClassName"] = source.storage_class
    return body
