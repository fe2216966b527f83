"""A public service's service level objectives as Prometheus rules, by the SRE workbook's multi-window,
multi-burn-rate method ("Alerting on SLOs", https://sre.google/workbook/alerting-on-slos/, Table 5-8): recording
rules for the share of bad requests over each window an alert reads, and per objective a page (critical) and a ticket
(warning) alert that fire while the budget burns fast over both a long and a short window.

Each recorded series carries the service's ``namespace`` and ``service`` as labels set by the rule, not taken from
the metric: the ingress controller's metrics come from its own namespace, and an AlertmanagerConfig routes only the
alerts of its namespace."""

from __future__ import annotations

import re
from typing import Any

from shipform import spec

RECORD = "service:shipform_slo_{sli}:ratio_rate{window}"
"""The recorded series: level ``service``, what it measures, the operation and its window (Prometheus' naming of
recording rules, level:metric:operations)."""

SLIS = {"availability": "errors", "latency": "slow"}


def windows() -> list[str]:
    """Every window an alert reads, shortest first."""
    found = {w for a in spec.BURN_ALERTS for w in (a.long, a.short)}
    return sorted(found, key=_seconds)


def _seconds(duration: str) -> int:
    number, unit = int(duration[:-1]), duration[-1]
    return number * {"m": 60, "h": 3600, "d": 86400}[unit]


def bucket_bound(metrics: spec.RequestMetrics, seconds: float) -> str:
    """The ``le`` matcher of the bucket bound at ``seconds``: Prometheus 3 writes a whole bound with '.0' ('250.0')
    where exporters and Prometheus 2 write '250', so a whole one matches both."""
    bound = seconds / metrics.unit_seconds
    text = f"{round(bound, 9):g}"
    return f'le=~"{text}(\\\\.0)?"' if float(text).is_integer() and "e" not in text else f'le="{text}"'


def _ratio(sli: str, level: spec.ServiceLevel, window: str) -> str:
    m = level.metrics
    if sli == "availability":
        return (f"sum(rate({m.requests}{{{m.selector}, {m.errors}}}[{window}]))\n"
                f"/\nsum(rate({m.requests}{{{m.selector}}}[{window}]))")
    assert level.latency is not None
    every = f'sum(rate({m.duration_buckets}{{{m.selector}, le="+Inf"}}[{window}]))'
    fast = f"sum(rate({m.duration_buckets}{{{m.selector}, {bucket_bound(m, level.latency.threshold_seconds)}}}" \
           f"[{window}]))"
    return f"(\n  {every}\n  -\n  {fast}\n)\n/\n{every}"


def _objectives(level: spec.ServiceLevel) -> list[tuple[str, float]]:
    found = [("availability", level.availability)] if level.availability is not None else []
    return found + ([("latency", level.latency.target)] if level.latency is not None else [])


def slo_group(w: spec.Workload, level: spec.ServiceLevel) -> dict[str, Any]:
    """The rule group of ``w``'s objectives: the recording rules first, which the alerts read in the same
    evaluation."""
    labels = {"namespace": w.namespace, "service": w.name}
    rules: list[dict[str, Any]] = []
    for sli, _ in _objectives(level):
        rules += [{"record": RECORD.format(sli=SLIS[sli], window=window), "expr": _ratio(sli, level, window),
                   "labels": dict(labels)} for window in windows()]
    for sli, target in _objectives(level):
        rules += _alerts(w, level, sli, target)
    return {"name": f"{w.app}.{w.namespace}.{w.name}.slo", "rules": rules}


def _alerts(w: spec.Workload, level: spec.ServiceLevel, sli: str, target: float) -> list[dict[str, Any]]:
    """The page and the ticket of one objective: each of its severity's window pairs, or-ed."""
    where = f'namespace="{w.namespace}", service="{w.name}"'
    budget = f"{1 - target:.6g}"
    made = []
    for severity in ("critical", "warning"):
        pairs = [a for a in spec.BURN_ALERTS if a.severity == severity]
        expr = "\nor\n".join(
            "(\n" + "\n  and\n".join(
                f"  {RECORD.format(sli=SLIS[sli], window=window)}{{{where}}} > ({a.burn_rate(level.window_hours):g}"
                f" * {budget})" for window in (a.long, a.short)) + "\n)" for a in pairs)
        spends = " or ".join(f"{a.budget_share:.0%} of it within {a.long}" for a in pairs)
        what = "failing" if sli == "availability" else "slower than " + _threshold(level)
        made.append({
            "alert": f"{_title(sli)}BudgetBurn{'' if severity == 'critical' else 'Slow'}", "expr": expr,
            "labels": {"severity": severity, "slo": sli},
            "annotations": {
                "summary": f"{w.name} burns its {sli} error budget ({1 - target:.4g} of requests {what} over "
                           f"{level.window}) fast enough to spend {spends}",
                "runbook": f"Requests to {w.name} as {level.metrics.source} counts them: "
                           f"{level.metrics.requests}{{{level.metrics.selector}}}.\n"
                           f"kubectl -n {w.namespace} get pods -l app.kubernetes.io/name={w.name}\n"
                           "Did a rollout just start? Roll it back first, then look at the logs and its "
                           "dependencies."}})
    return made


def _threshold(level: spec.ServiceLevel) -> str:
    assert level.latency is not None
    seconds = level.latency.threshold_seconds
    return f"{seconds * 1000:g}ms" if seconds < 1 else f"{seconds:g}s"


def _title(sli: str) -> str:
    return re.sub(r"(^|_)([a-z])", lambda m: m.group(2).upper(), sli)
