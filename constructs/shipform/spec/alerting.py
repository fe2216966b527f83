"""Alerts that reach people: the receivers Alertmanager notifies by severity, and the service level objectives of
public services, measured from the request metrics of whatever serves their requests (the ingress controller, the
mesh's sidecars)."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.facet import Facet
from shipform.values.secret_ref import SecretRef


@dataclass(frozen=True)
class Integration:
    """One way a receiver notifies: an Alertmanager ``*Configs`` entry of the AlertmanagerConfig CRD (``kind``:
    'slack', 'pagerduty', 'email', 'webhook'), its plain fields, and its credentials by Secret key (by the CRD's
    field name, e.g. ``apiURL``)."""

    kind: str
    fields: tuple[tuple[str, str], ...]
    secrets: tuple[tuple[str, SecretRef], ...]


@dataclass(frozen=True)
class Receivers:
    """Who is told of an alert, by its ``severity`` label: ``critical`` pages, ``warning`` reaches chat or mail.
    Alerts of any other severity go to the warning receivers."""

    critical: tuple[Integration, ...]
    warning: tuple[Integration, ...]

    def secret_refs(self) -> tuple[SecretRef, ...]:
        return tuple(ref for i in (*self.critical, *self.warning) for _, ref in i.secrets)


@dataclass(frozen=True)
class RequestMetrics:
    """Where a public service's requests are counted: a Prometheus counter of requests with a status code label,
    and a histogram of their durations, selected by ``selector`` (label matchers, PromQL syntax). ``buckets`` are the
    histogram's upper bounds in its own unit (``unit_seconds`` seconds each): a latency threshold must be one."""

    source: str
    """What counts them, as errors and docs name it ('ingress-nginx', 'Istio')."""
    requests: str
    errors: str
    """The matcher of a failed request ('status=~"5.."')."""
    duration_buckets: str
    selector: str
    buckets: tuple[float, ...]
    unit_seconds: float


@dataclass(frozen=True)
class LatencyObjective:
    """The share ``target`` of requests served within ``threshold_seconds``."""

    threshold_seconds: float
    target: float


@dataclass(frozen=True)
class ServiceLevel(Facet):
    """A public service's objectives over ``window`` (a Prometheus duration in days, '30d'): the share of requests
    that succeed (``availability``), and of those served fast enough (``latency``), from ``metrics``."""

    availability: float | None
    latency: LatencyObjective | None
    window: str
    metrics: RequestMetrics

    @property
    def window_hours(self) -> int:
        return int(self.window.removesuffix("d")) * 24


@dataclass(frozen=True)
class BurnAlert:
    """One alert of the multi-window, multi-burn-rate method: it fires while the error budget burns fast enough to
    spend ``budget_share`` of it within ``long`` (a Prometheus duration, ``long_hours`` hours), over both ``long`` and
    ``short`` (which resets it soon after the burn stops)."""

    severity: str
    long: str
    long_hours: float
    short: str
    budget_share: float

    def burn_rate(self, window_hours: int) -> float:
        """How many times the budget's sustainable rate spends ``budget_share`` of it within ``long``."""
        return round(self.budget_share * window_hours / self.long_hours, 6)


BURN_ALERTS = (
    BurnAlert("critical", "1h", 1, "5m", 0.02),
    BurnAlert("critical", "6h", 6, "30m", 0.05),
    BurnAlert("warning", "3d", 72, "6h", 0.10),
)
"""The SRE workbook's recommendation ("Alerting on SLOs", https://sre.google/workbook/alerting-on-slos/, Table 5-8):
page on 2% of the budget in 1 hour (windows 1h and 5m; burn rate 14.4 over 30 days) or 5% in 6 hours (6h and 30m;
6), ticket on 10% in 3 days (3d and 6h; 1). The short window is 1/12 of the long one."""
