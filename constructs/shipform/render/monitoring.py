"""prometheus-operator objects: a ServiceMonitor per scraped service, and per namespace a PrometheusRule with the
alerts every workload deserves, from kube-state-metrics and the kubelet's volume statistics (which
kube-prometheus-stack collects), each with a runbook."""

from __future__ import annotations

import json
from typing import Any

from shipform import spec
from shipform.render import rollouts
from shipform.render.slo_rules import slo_group
from shipform.spec.manifest import Manifest

API = "monitoring.coreos.com/v1"


def monitor_labels(w: spec.Workload, scrape: spec.Scrape) -> dict[str, str]:
    """The workload's labels and those the operator's selectors want."""
    return {**w.labels, **dict(scrape.monitoring.labels)}


def monitor_spec(w: spec.Workload, scrape: spec.Scrape, kind: str) -> Manifest:
    """A ServiceMonitor's for a workload with a Service (a WebService), or a PodMonitor's of its pods (a Worker):
    the ``kind`` the plan chose."""
    by_service = kind == "ServiceMonitor"
    body: Manifest = {"selector": {"matchLabels": w.selector}}
    if w.facet(spec.CanarySplit):  # the routed canary's Service too ('service' tells them)
        body["selector"] = {"matchLabels": {"app.kubernetes.io/part-of": w.app}, "matchExpressions": [
            {"key": "app.kubernetes.io/name", "operator": "In", "values": [w.name, f"{w.name}-canary"]}]}
    if w.facet(spec.ArgoRollout):  # which version a sample is of, for analyses
        body["podTargetLabels"] = [rollouts.REVISION_LABEL]
    body["endpoints" if by_service else "podMetricsEndpoints"] = [
        {"port": scrape.port.name, "path": scrape.path, "interval": scrape.interval, "scheme": "http"}]
    return body


DASHBOARD_LABEL = {"grafana_dashboard": "1"}
"""The label of the ConfigMaps Grafana's sidecar loads dashboards from."""


def dashboard(w: spec.Workload, scrape: spec.Scrape) -> dict[str, str]:
    """A Grafana dashboard for the service, as the data of its ConfigMap: its ready pods, CPU and memory against
    requests and limits, restarts, and whether Prometheus reaches it."""
    where = f'namespace="{w.namespace}", container="{w.name}"'
    ready = f'sum(kube_deployment_status_replicas_ready{{namespace="{w.namespace}", deployment="{w.name}"}})'
    if w.facet(spec.ArgoRollout):  # a Rollout's pods: <name>-<revision>-<random>
        ready = (f'sum(kube_pod_status_ready{{namespace="{w.namespace}", condition="true", '
                 f'pod=~"{w.name}-[a-z0-9]+-[a-z0-9]{{5}}"}})')
    panels = [
        ("Ready pods", [ready], "short"),
        ("CPU (cores)", [f"sum(rate(container_cpu_usage_seconds_total{{{where}}}[5m]))",
                         f'sum(kube_pod_container_resource_requests{{{where}, resource="cpu"}})',
                         f'sum(kube_pod_container_resource_limits{{{where}, resource="cpu"}})'], "short"),
        ("Memory", [f"sum(container_memory_working_set_bytes{{{where}}})",
                    f'sum(kube_pod_container_resource_requests{{{where}, resource="memory"}})',
                    f'sum(kube_pod_container_resource_limits{{{where}, resource="memory"}})'], "bytes"),
        ("Restarts (1h)", [f"sum(increase(kube_pod_container_status_restarts_total{{{where}}}[1h]))"], "short"),
        ("Scraped", [f'up{{namespace="{w.namespace}", service="{w.name}"}}'], "short"),
    ]
    board = {
        "title": f"{w.app} / {w.namespace} / {w.name}", "uid": f"{w.namespace}-{w.name}"[:40],
        "tags": ["shipform", w.app], "timezone": "utc", "schemaVersion": 39, "refresh": scrape.interval,
        "time": {"from": "now-6h", "to": "now"},
        "panels": [{"id": i, "title": title, "type": "timeseries",
                    "gridPos": {"x": (i - 1) % 2 * 12, "y": (i - 1) // 2 * 8, "w": 12, "h": 8},
                    "fieldConfig": {"defaults": {"unit": unit}},
                    "targets": [{"refId": chr(65 + n), "expr": expr} for n, expr in enumerate(exprs)]}
                   for i, (title, exprs, unit) in enumerate(panels, 1)],
    }
    return {f"{w.namespace}-{w.name}.json": json.dumps(board, indent=2, sort_keys=True) + "\n"}


def alert_rules(env: spec.Environment, namespace: str, workloads: list[spec.Workload]) -> Manifest:
    """The namespace's alerts: crash loops, pods not ready, autoscalers at their maximum, volumes filling up,
    failed and missed scheduled jobs, failed restore drills; and a group per public service with service level
    objectives."""
    assert env.monitoring is not None
    ns = f'namespace="{namespace}"'
    when = env.monitoring.alerts
    rules = [
        _alert("PodCrashLooping", f"increase(kube_pod_container_status_restarts_total{{{ns}}}[15m]) > 3",
               when.crash_loop_for,
               "critical", "Pod {{ $labels.pod }} restarted more than 3 times in 15 minutes",
               f"kubectl -n {namespace} logs {{{{ $labels.pod }}}} --previous\n"
               f"kubectl -n {namespace} describe pod {{{{ $labels.pod }}}}\n"
               "Look at Last State and Events: OOMKilled, a failing probe, a bad config."),
        _alert("PodNotReady", f'sum by (pod) (kube_pod_status_ready{{{ns}, condition="false"}}) > 0',
               when.not_ready_for, "warning", f"Pod {{{{ $labels.pod }}}} has not been ready for {when.not_ready_for}",
               f"kubectl -n {namespace} describe pod {{{{ $labels.pod }}}}\n"
               "Look at its readiness probe, and at what it waits for (a database, a migration)."),
    ]
    if any(spec.count_owned_elsewhere(w) for w in workloads):
        rules.append(_alert(
            "AutoscalerAtMaximum", f"kube_horizontalpodautoscaler_status_current_replicas{{{ns}}}\n  >= "
            f"kube_horizontalpodautoscaler_spec_max_replicas{{{ns}}}", when.at_maximum_for, "warning",
            f"{{{{ $labels.horizontalpodautoscaler }}}} has run at its maximum replicas for {when.at_maximum_for}",
            "Raise Autoscale(max=) if the namespace's quota allows it,\nor find what made the load grow."))
    if any(isinstance(v.source, spec.Claim | spec.ClaimTemplate) for w in workloads for v in w.volumes):
        rules.append(_alert(
            "VolumeAlmostFull", f"kubelet_volume_stats_used_bytes{{{ns}}}\n  / kubelet_volume_stats_capacity_bytes"
            f"{{{ns}}}\n  > {when.volume_full_percent / 100:g}", "10m", "warning",
            f"Volume {{{{ $labels.persistentvolumeclaim }}}} is more than {when.volume_full_percent}% full",
            "Raise the storage= of its workload (a claim of an expandable StorageClass grows in place),\n"
            "or delete what it no longer needs."))
    drills = sorted(w.name for w in workloads if w.component == "restore-drill")
    # A drill runs weekly or monthly: a fixed window without a success would call every such drill missed.
    undrilled = f'{ns}, cronjob!~"{"|".join(drills)}"' if drills else ns
    if any(isinstance(w.run, spec.Scheduled) for w in workloads):
        rules.append(_alert(
            "ScheduledJobFailed", f"kube_job_status_failed{{{ns}}} > 0", "0m", "warning",
            "Job {{ $labels.job_name }} failed",
            f"kubectl -n {namespace} logs job/{{{{ $labels.job_name }}}}\n"
            "Its CronJob runs again at the next schedule."))
        rules.append(_alert(
            "ScheduledJobMissed", f"time() - kube_cronjob_status_last_successful_time{{{undrilled}}} > "
            f"{when.job_missed_hours} * 3600", "0m", "warning",
            f"CronJob {{{{ $labels.cronjob }}}} has not succeeded for {when.job_missed_hours} hours",
            f"kubectl -n {namespace} get cronjob {{{{ $labels.cronjob }}}}\n"
            "Suspended? A missed deadline? Then the logs of its last Job."))
    if drills:
        rules.extend(_drill_alerts(namespace, drills))
    labels = {**spec.shipform_labels(env.app), **dict(env.monitoring.labels)}
    return {"apiVersion": API, "kind": "PrometheusRule",
            "metadata": {"name": f"{env.app}-alerts", "namespace": namespace, "labels": labels},
            "spec": {"groups": [{"name": f"{env.app}.{namespace}", "rules": rules},
                                *(slo_group(w, level) for w in workloads
                                  if (level := w.facet(spec.ServiceLevel)) is not None)]}}


def _drill_alerts(namespace: str, drills: list[str]) -> list[dict[str, Any]]:
    """A failed restore drill is critical: the newest dump did not restore, or restored without the data. Its Jobs
    are the drills' CronJobs' (kube_job_owner), by schedule or created from them by hand; their failure counts go
    with the Jobs a day later, so a drill whose last scheduled run has not succeeded an hour on alerts too."""
    ns = f'namespace="{namespace}"'
    names = "|".join(drills)
    why = ("The line 'restore drill failed: ...' says which step: no dump, an empty or incomplete one, the "
           "restore, the check.\nFix the backup, take one now (kubectl create job --from=cronjob/<db>-backup), then "
           "drill again (kubectl create job --from=cronjob/<db>-drill).")
    return [
        _alert("RestoreDrillFailed", f"kube_job_status_failed{{{ns}}} > 0\n  and on (namespace, job_name) "
               f'kube_job_owner{{{ns}, owner_kind="CronJob", owner_name=~"{names}"}}', "0m", "critical",
               "Restore drill {{ $labels.job_name }} failed: the newest dump did not restore or failed its check",
               f"kubectl -n {namespace} logs job/{{{{ $labels.job_name }}}} --all-containers\n{why}"),
        _alert("RestoreDrillNotPassing", f'kube_cronjob_status_last_schedule_time{{{ns}, cronjob=~"{names}"}}\n'
               f'  > kube_cronjob_status_last_successful_time{{{ns}, cronjob=~"{names}"}}', "1h", "critical",
               "Restore drill {{ $labels.cronjob }}: its last scheduled run has not succeeded",
               f"kubectl -n {namespace} get jobs -l app.kubernetes.io/name={{{{ $labels.cronjob }}}}\n"
               f"kubectl -n {namespace} logs job/<the newest> --all-containers\n{why}"),
    ]


def _alert(name: str, expr: str, duration: str, severity: str, summary: str, runbook: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if duration != "0m":
        rule["for"] = duration
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {"summary": summary, "runbook": runbook}
    return rule
