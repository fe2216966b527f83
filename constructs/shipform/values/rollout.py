"""How a new version replaces the running one."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

_PERCENT = re.compile(r"(100|[1-9]?[0-9])%")


@value_object
@dataclass(frozen=True)
class Rolling:
    """A rolling update (Deployment ``RollingUpdate``). Default: one extra pod at a time and none unavailable, so
    the wanted count keeps serving throughout. Each is a number of pods or a percent of the replicas ('25%').

    A workload whose volume attaches to one node is replaced instead (``Recreate``): a surge pod elsewhere could
    not mount it.
    """

    max_surge: int | str = 1
    """Default: 1. Pods started above the wanted count during the update (``maxSurge``)."""
    max_unavailable: int | str = 0
    """Default: 0. Pods of the wanted count that may be unavailable during the update (``maxUnavailable``)."""
    prop_example: ClassVar[str] = "Rolling(max_surge=1, max_unavailable=0)"

    def validate(self, path: str) -> None:
        check_fields(path, "strategy", self)
        for prop in ("max_surge", "max_unavailable"):
            value = getattr(self, prop)
            if (isinstance(value, int) and not 0 <= value <= 1000) or (isinstance(value, str)
                                                                       and not checks.matches(_PERCENT, value)):
                raise ShipformError(path, f"strategy.{prop}", "must be a number of pods (0-1000) or a percent of "
                                    "the replicas", value, "write e.g. 1 or '25%'")
        if self.surge_pods(100) == 0 and self._unavailable_pods(100) == 0:
            raise ShipformError(path, "strategy", "lets no pod be added or removed, so a rollout could never start",
                                {"max_surge": self.max_surge, "max_unavailable": self.max_unavailable},
                                "allow at least one: max_surge=1 (the default) or max_unavailable=1")

    def surge_pods(self, replicas: int) -> int:
        """Extra pods a rollout may run at once (Kubernetes rounds a percent up)."""
        return _pods(self.max_surge, replicas, math.ceil)

    def _unavailable_pods(self, replicas: int) -> int:
        return _pods(self.max_unavailable, replicas, math.floor)


ONE_AT_A_TIME = Rolling()
"""The default rollout."""


def _pods(value: int | str, replicas: int, rounding: Callable[[float], int]) -> int:
    if isinstance(value, int):
        return value
    return rounding(replicas * int(value.rstrip("%")) / 100)


_ARGO_DURATION = re.compile(r"[1-9][0-9]*(s|m|h)")
PROMOTE = "promote"
"""A canary step that waits until someone promotes the rollout (`kubectl argo rollouts promote <name>`)."""


@value_object
@dataclass(frozen=True)
class Analysis:
    """A Prometheus query Argo Rollouts runs while a new version rolls out: the rollout is aborted (back to the
    running version) when it fails ``failure_limit`` + 1 times. The query may use ``{{args.namespace}}``,
    ``{{args.service}}`` (the Service the new pods serve behind) and ``{{args.revision}}`` (the new pods'
    ``rollouts-pod-template-hash``, which Prometheus gets as the label ``rollouts_pod_template_hash``).

    :param query: A PromQL query whose result ``success`` judges.
    :param success: Default: 'result[0] >= 0.95'. An Argo Rollouts condition on ``result``.
    :param interval: Default: '1m'. Time between measurements.
    :param count: Default: 5. Measurements taken.
    :param failure_limit: Default: 1. Failed measurements tolerated.
    """

    query: str
    success: str = "result[0] >= 0.95"
    interval: str = "1m"
    count: int = 5
    failure_limit: int = 1
    prop_example: ClassVar[str] = "Analysis(query='sum(rate(...))', success='result[0] >= 0.95')"

    def validate(self, path: str, prop: str) -> None:
        check_fields(path, prop, self)
        for name in ("query", "success"):
            if not getattr(self, name).strip():
                raise ShipformError(path, f"{prop}.{name}", "must not be empty", getattr(self, name),
                                    "write e.g. " + self.prop_example)
        if not checks.matches(_ARGO_DURATION, self.interval):
            raise ShipformError(path, f"{prop}.interval", "must be a duration of s, m or h", self.interval,
                                "write e.g. '1m' or '30s'")
        if not 1 <= self.count <= 1000:
            raise ShipformError(path, f"{prop}.count", "must be 1 to 1000 measurements", self.count, "write e.g. 5")
        if not 0 <= self.failure_limit < self.count:
            raise ShipformError(path, f"{prop}.failure_limit", f"must be 0 to {self.count - 1} (fewer than the "
                                "measurements taken, or the analysis could never fail)", self.failure_limit,
                                "write e.g. 1")


@value_object
@dataclass(frozen=True)
class Canary:
    """Argo Rollouts sends a rising share of the traffic to the new version, step by step; the Environment needs
    ``rollouts='argo'``. Each step is a weight (an int: percent of the traffic, rising, 1-100), a pause (a
    duration such as '5m') or 'promote' (wait until someone runs `kubectl argo rollouts promote <name>`). After
    the last step the new version takes all the traffic. A public service behind ingress-nginx is split by the
    controller's canary Ingress (exact weights); other services by the share of pods.

    :param steps: Default: ``(20, '5m', 50, '5m')``.
    :param analysis: Default: None. An :class:`Analysis` run from the first step; a failure aborts the rollout.
    """

    steps: Sequence[int | str] = (20, "5m", 50, "5m")
    analysis: Analysis | None = None
    prop_example: ClassVar[str] = "Canary(steps=[20, '5m', 50, 'promote'])"

    def validate(self, path: str) -> None:
        check_fields(path, "strategy", self)
        weights = [s for s in self.steps if isinstance(s, int)]
        if not weights:
            raise ShipformError(path, "strategy.steps", "has no weight, so no traffic would ever reach the canary",
                                list(self.steps), "write e.g. steps=[20, '5m', 50, '5m']")
        for i, step in enumerate(self.steps):
            if isinstance(step, int) and not 1 <= step <= 100:
                raise ShipformError(path, f"strategy.steps[{i}]", "is a weight outside 1-100 percent", step,
                                    "write a percent of the traffic from 1 to 100")
            if isinstance(step, str) and step != PROMOTE and not checks.matches(_ARGO_DURATION, step):
                raise ShipformError(path, f"strategy.steps[{i}]", "must be a weight (int), a pause of s, m or h "
                                    "('5m') or 'promote'", step, "write e.g. '5m'")
        for before, after in itertools.pairwise(weights):
            if after <= before:
                raise ShipformError(path, "strategy.steps", f"weights must rise ({after} follows {before}): a "
                                    "canary only ever takes more of the traffic", list(self.steps),
                                    "list the weights in rising order, e.g. [20, '5m', 50, '5m']")
        if self.analysis is not None:
            self.analysis.validate(path, "strategy.analysis")

    def surge_pods(self, replicas: int) -> int:
        """At full weight the canary runs as many pods as the stable version."""
        return replicas


@value_object
@dataclass(frozen=True)
class BlueGreen:
    """Argo Rollouts starts the new version beside the running one, behind a preview Service ``<name>-preview``,
    and switches the Service to it at once when promoted; the old pods stay ``scale_down_delay_seconds`` for a
    quick way back. The Environment needs ``rollouts='argo'``.

    :param auto_promote_seconds: Default: None: wait until someone runs `kubectl argo rollouts promote <name>`.
        0 promotes as soon as the new pods are ready (and the analysis passed); N waits N seconds.
    :param scale_down_delay_seconds: Default: 30.
    :param analysis: Default: None. An :class:`Analysis` run before promotion, against the preview; a failure
        aborts the rollout.
    """

    auto_promote_seconds: int | None = None
    scale_down_delay_seconds: int = 30
    analysis: Analysis | None = None
    prop_example: ClassVar[str] = "BlueGreen(auto_promote_seconds=None)"

    def validate(self, path: str) -> None:
        check_fields(path, "strategy", self)
        if self.auto_promote_seconds is not None and not 0 <= self.auto_promote_seconds <= 86400:
            raise ShipformError(path, "strategy.auto_promote_seconds", "must be 0 to 86400 seconds, or None to "
                                "promote by hand", self.auto_promote_seconds, "write e.g. 600")
        if not 0 <= self.scale_down_delay_seconds <= 86400:
            raise ShipformError(path, "strategy.scale_down_delay_seconds", "must be 0 to 86400 seconds",
                                self.scale_down_delay_seconds, "write e.g. 30")
        if self.analysis is not None:
            self.analysis.validate(path, "strategy.analysis")

    def surge_pods(self, replicas: int) -> int:
        """The preview runs as many pods as the active version."""
        return replicas


Progressive = Canary | BlueGreen
"""Strategies Argo Rollouts carries out."""


_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@value_object
@dataclass(frozen=True)
class RoutedCanary:
    """A canary without Argo Rollouts, for a public WebService: the running version stays in the Deployment
    ``<name>`` (its image at ``stable``), the new one (the app's current image) runs beside it in ``<name>-canary``,
    and the router sends it ``weight`` percent of the public traffic: ingress-nginx by a canary Ingress, a Gateway
    by HTTPRoute weights. In-cluster clients keep calling the stable version. Raise the weight by commits; promote
    by going back to ``Rolling()`` (the canary Deployment is then pruned), or roll back by dropping the new version.

    :param weight: Percent of the public traffic the new version gets (1-99).
    :param stable: The running version: an image tag of the same image ('1.4.1'), or a whole image reference.
    :param replicas: Default: 1. Pods of the new version.
    """

    weight: int
    stable: str
    replicas: int = 1
    prop_example: ClassVar[str] = "RoutedCanary(weight=10, stable='1.4.1')"

    def validate(self, path: str) -> None:
        check_fields(path, "strategy", self)
        if not 1 <= self.weight <= 99:
            raise ShipformError(path, "strategy.weight", "must be 1-99 percent (0 is no canary, 100 is a promotion)",
                                self.weight, "write e.g. 10; promote with strategy=Rolling()")
        if ":" in self.stable or "/" in self.stable or "@" in self.stable:  # a whole reference: pinned, as images are
            checks.image_ref(path, "strategy.stable", self.stable)
        elif not checks.matches(_TAG, self.stable):
            raise ShipformError(path, "strategy.stable", "must be an image tag or an image reference", self.stable,
                                "write the version running now, e.g. '1.4.1'")
        elif self.stable == "latest":
            raise ShipformError(path, "strategy.stable", "must pin the running version, not 'latest' (which moves)",
                                self.stable, "write the version running now, e.g. '1.4.1'")
        if not 1 <= self.replicas <= 100:
            raise ShipformError(path, "strategy.replicas", "must be 1-100", self.replicas, "write e.g. 1")

    def stable_image(self, path: str, image: str) -> str:
        """The running version's image: ``image`` with the tag ``stable``, or ``stable`` itself when it is a
        reference."""
        if ":" in self.stable or "/" in self.stable:
            return self.stable
        repository, at, _ = image.partition("@")
        if at or ":" not in repository.rsplit("/", 1)[-1]:
            raise ShipformError(path, "strategy.stable", "is a tag, and the image has none to replace", image,
                                "pass the running version's whole image reference, e.g. 'nginx:1.27.2'")
        stable = f"{repository.rsplit(':', 1)[0]}:{self.stable}"
        if stable == image:
            raise ShipformError(path, "strategy.stable", "is the version the canary runs", self.stable,
                                "pass the version running now (the app's version is the new one)")
        return stable



Strategy = Rolling | Canary | BlueGreen | RoutedCanary
