"""Service level objectives of a public service: ``WebService(public=True, slo=Slo(availability=0.999,
latency=Latency(threshold="250ms", target=0.99)))`` becomes recording rules and multi-window, multi-burn-rate alerts
in the namespace's PrometheusRule (render.slo_rules), measured where its requests are counted: by the ingress
controller that publishes it, else by the mesh its namespace is enrolled in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

_THRESHOLD = re.compile(r"(?P<number>[0-9]+(\.[0-9]+)?)(?P<unit>ms|s)")
_WINDOW = re.compile(r"(?P<days>[1-9][0-9]*)d")



def threshold_text(seconds: float) -> str:
    """A duration as people write it: '250ms', '1s', '2.5s'."""
    return f"{seconds * 1000:g}ms" if seconds < 1 else f"{seconds:g}s"


@value_object
@dataclass(frozen=True)
class Latency:
    """The share ``target`` of requests served within ``threshold``.

    :param threshold: a duration of ms or s ('250ms', '1s'): an upper bound of a bucket of the request duration
        histogram that measures the service (the error names them).
    :param target: Default: 0.99. The share of requests that must be served within it.
    """

    threshold: str
    target: float = 0.99
    prop_example: ClassVar[str] = "Latency(threshold='250ms', target=0.99)"

    def to_spec(self, path: str, metrics: spec.RequestMetrics, window_hours: int) -> spec.LatencyObjective:
        check_fields(path, "slo.latency", self)
        found = checks.exact(_THRESHOLD, self.threshold)
        if found is None:
            raise ShipformError(path, "slo.latency.threshold", "must be a duration of ms or s", self.threshold,
                                "write e.g. '250ms' or '1s'")
        seconds = float(found["number"]) / (1000 if found["unit"] == "ms" else 1)
        bounds = [b * metrics.unit_seconds for b in metrics.buckets]
        if not any(abs(b - seconds) < 1e-9 for b in bounds):
            below = [b for b in bounds if b < seconds][-1:]
            above = [b for b in bounds if b > seconds][:1]
            nearest = " or ".join(f"'{threshold_text(b)}'" for b in below + above)
            raise ShipformError(path, "slo.latency.threshold", f"must be an upper bound of a bucket of {metrics.source}"
                                f"'s request duration histogram ({metrics.duration_buckets}: "
                                f"{', '.join(threshold_text(b) for b in bounds)}), which alone says how many requests "
                                "were served within it", self.threshold, f"write {nearest}")
        return spec.LatencyObjective(seconds, _target(path, "slo.latency.target", self.target, window_hours))


def _target(path: str, prop: str, value: object, window_hours: int) -> float:
    """A share of requests whose error budget every burn-rate alert can notice: when the budget times an alert's
    burn rate reaches 1, even every request failing would not fire it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ShipformError(path, prop, "must be a share of requests between 0 and 1", value, "write e.g. 0.999")
    fastest = max(a.burn_rate(window_hours) for a in spec.BURN_ALERTS)
    if (1 - value) * fastest >= 1:
        least = 1 - 1 / fastest
        raise ShipformError(path, prop, f"leaves an error budget so large that the page alert (at {fastest:g} "
                            "times the budget's rate) could never fire", value,
                            f"write more than {least:.4f}, e.g. 0.99")
    return float(value)


@value_object
@dataclass(frozen=True)
class Slo:
    """A public service's objectives, alerted on by the SRE workbook's multi-window, multi-burn-rate rules: a page
    when the error budget burns at 14.4 times its rate over 1 hour and 5 minutes (2% of a 30-day budget in an hour)
    or at 6 times over 6 hours and 30 minutes (5% in 6 hours), a ticket at 1 times over 3 days and 6 hours (10% in
    3 days).

    :param availability: Default: 0.999. The share of requests that must not fail (a 5xx status); None: no
        availability objective.
    :param latency: Default: None. :class:`Latency`: the share of requests served fast enough.
    :param window: Default: '30d'. The period the objectives hold over, in days ('7d' to '90d'); the burn rates
        scale with it (the budget shares per alert window stay the workbook's).
    """

    availability: float | None = 0.999
    latency: Latency | None = None
    window: str = "30d"
    prop_example: ClassVar[str] = "Slo(availability=0.999, latency=Latency(threshold='250ms', target=0.99))"

    def to_spec(self, path: str, metrics: spec.RequestMetrics) -> spec.ServiceLevel:
        check_fields(path, "slo", self)
        if self.availability is None and self.latency is None:
            raise ShipformError(path, "slo", "sets no objective", self, "pass availability=0.999, latency="
                                "Latency(threshold='250ms'), or both")
        found = checks.exact(_WINDOW, self.window)
        if found is None or not 7 <= int(found["days"]) <= 90:
            raise ShipformError(path, "slo.window", "must be a number of days from 7 to 90 ('30d'): the ticket "
                                "alert looks back 3 days", self.window, "write e.g. '30d'")
        hours = int(found["days"]) * 24
        availability = None if self.availability is None else _target(path, "slo.availability", self.availability,
                                                                       hours)
        latency = None if self.latency is None else self.latency.to_spec(path, metrics, hours)
        return spec.ServiceLevel(availability, latency, self.window, metrics)
