"""CPU, memory and ephemeral storage of one container, and horizontal autoscaling."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.quantity import Cpu, Memory
from shipform.values.value_object import value_object

OWN_DISK = Memory(64 * 2**20, "binary")
"""A container's own ephemeral storage by default: its logs (the kubelet keeps up to 5 x 10Mi)."""


@dataclass(frozen=True)
class ComputeResources:
    """Requests (what the scheduler reserves) and limits (the cap), parsed."""

    cpu: Cpu
    memory: Memory
    cpu_limit: Cpu
    memory_limit: Memory
    ephemeral_storage: Memory = OWN_DISK
    """The container's own share of the node's disk (its logs; its writable layer when the root is writable);
    the emptyDirs it mounts come on top."""


@value_object
@dataclass(frozen=True)
class Resources:
    """CPU, memory and local disk for one container. Requests are what the scheduler reserves; limits cap use.

    Default: 100m CPU and 128Mi requested, 500m CPU and 256Mi limit, 64Mi of ephemeral storage (plus its
    emptyDirs). Quantities use the Kubernetes grammar ('250m', '0.5', '1.5Gi', '512M').

    :param cpu: Default: '100m'. The CPU requested.
    :param memory: Default: '128Mi'. The memory requested.
    :param cpu_limit: Default: '500m'. The CPU limit, at least the request.
    :param memory_limit: Default: '256Mi'. The memory limit, at least the request.
    """

    cpu: str | int = "100m"
    memory: str | int = "128Mi"
    cpu_limit: str | int = "500m"
    memory_limit: str | int = "256Mi"
    ephemeral_storage: str | int = "64Mi"
    """The container's own share of the node's disk: its logs (the kubelet keeps up to 5 x 10Mi) and, with
    ``read_only_root_filesystem=False``, what it writes outside its volumes. Requested and its limit alike; the
    emptyDirs it mounts (writable paths, Scratch volumes) are added to it."""
    prop_example: ClassVar[str] = "Resources(cpu='250m', memory='256Mi', cpu_limit='1', memory_limit='512Mi')"

    def parse(self, path: str, prop: str = "resources") -> ComputeResources:
        check_fields(path, prop, self)
        parsed = ComputeResources(
            Cpu.parse(path, f"{prop}.cpu", self.cpu), Memory.parse(path, f"{prop}.memory", self.memory),
            Cpu.parse(path, f"{prop}.cpu_limit", self.cpu_limit),
            Memory.parse(path, f"{prop}.memory_limit", self.memory_limit),
            Memory.parse(path, f"{prop}.ephemeral_storage", self.ephemeral_storage))
        if parsed.cpu > parsed.cpu_limit:
            raise ShipformError(path, f"{prop}.cpu_limit", f"must not be below the request {self.cpu}",
                                self.cpu_limit, "raise cpu_limit or lower cpu")
        if parsed.memory > parsed.memory_limit:
            raise ShipformError(path, f"{prop}.memory_limit", f"must not be below the request {self.memory}",
                                self.memory_limit, "raise memory_limit or lower memory")
        return parsed


_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(m|k|M|G|Ki|Mi|Gi)?")
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:.]*")


@value_object
@dataclass(frozen=True)
class CustomMetric:
    """A metric the autoscaler reads from a metrics adapter, and the value per replica it aims for.

    :param name: The metric's name, e.g. 'http_requests_per_second'.
    :param average: The target value per replica, a Kubernetes quantity ('100', '500m').
    :param source: Default: 'pods': a metric of each pod (custom.metrics.k8s.io). 'external': one from outside the
        cluster's objects, such as a queue's length (external.metrics.k8s.io), divided by the replicas.
    :param selector: Default: {}. Labels that pick the series of an external metric.
    """

    name: str
    average: str
    source: Literal["pods", "external"] = "pods"
    selector: Mapping[str, str] = field(default_factory=dict)
    prop_example: ClassVar[str] = "CustomMetric('http_requests_per_second', average='100')"

    def validate(self, path: str, prop: str) -> None:
        check_fields(path, prop, self)
        if not checks.matches(_METRIC_NAME, self.name):
            raise ShipformError(path, f"{prop}.name", "must be a metric name", self.name,
                                "write e.g. 'http_requests_per_second'")
        if not checks.matches(_QUANTITY, self.average) or float(re.sub(r"[^0-9.]", "", self.average)) == 0:
            raise ShipformError(path, f"{prop}.average", "must be a Kubernetes quantity above 0", self.average,
                                "write e.g. '100' or '500m'")
        if self.selector and (self.source != "external" or not checks.is_label_map(self.selector)):
            raise ShipformError(path, f"{prop}.selector", "must map label keys to values, for an external metric",
                                dict(self.selector), "pass source='external', or drop selector")


@value_object
@dataclass(frozen=True)
class Autoscale:
    """Horizontal autoscaling on CPU use. Default: 2 to 10 replicas at 70% of the CPU request.

    :param min: Default: 2. The fewest replicas.
    :param max: Default: 10. The most replicas.
    :param cpu_percent: Default: 70. None scales on the other metrics alone.
    :param memory_percent: Default: None. Also scale on memory use, at this percent of the memory request.
    :param metrics: Default: () (none). :class:`CustomMetric` targets from a metrics adapter (prometheus-adapter,
        KEDA's metrics server): a per-pod metric such as requests per second, or an external one such as a
        queue's length. The autoscaler follows whichever metric asks for the most replicas.
    :param scale_down_seconds: Default: 300 (Kubernetes' own). How long the load must have been lower before
        replicas are removed.
    :param scale_down_percent: Default: None (no limit). At most this percent of the replicas removed per
        minute: a sudden drop in load does not take most of the capacity away at once.
    :param scale_up_seconds: Default: 0 (Kubernetes' own). How long the load must have been higher before
        replicas are added.
    :param scale_up_pods: Default: None (Kubernetes' own: doubling, or 4 pods, every 15 seconds). At most this
        many replicas added per minute.
    """

    min: int = 2
    max: int = 10
    cpu_percent: int | None = 70
    memory_percent: int | None = None
    metrics: Sequence[CustomMetric] = ()
    scale_down_seconds: int = 300
    scale_down_percent: int | None = None
    scale_up_seconds: int = 0
    scale_up_pods: int | None = None
    prop_example: ClassVar[str] = "Autoscale(min=2, max=10, cpu_percent=70)"

    def validate(self, path: str) -> None:
        check_fields(path, "autoscale", self)
        checks.positive_int(path, "autoscale.min", self.min)
        checks.positive_int(path, "autoscale.max", self.max)
        if self.cpu_percent is None and self.memory_percent is None and not self.metrics:
            raise ShipformError(path, "autoscale", "has no metric to scale on", None,
                                "keep cpu_percent, or give memory_percent or metrics=[CustomMetric(...)]")
        for i, metric in enumerate(self.metrics):
            metric.validate(path, f"autoscale.metrics[{i}]")
        if not 0 <= self.scale_up_seconds <= 3600:  # the API server's bound
            raise ShipformError(path, "autoscale.scale_up_seconds", "must be 0-3600", self.scale_up_seconds,
                                "pass a stabilization window in seconds, e.g. 60")
        if self.scale_up_pods is not None and not 1 <= self.scale_up_pods <= 1000:
            raise ShipformError(path, "autoscale.scale_up_pods", "must be 1-1000", self.scale_up_pods,
                                "pass the replicas that may be added per minute, e.g. 4")
        if self.cpu_percent is not None and not 1 <= self.cpu_percent <= 100:
            raise ShipformError(path, "autoscale.cpu_percent", "must be 1-100", self.cpu_percent,
                                "pass a target CPU utilization percentage, e.g. 70")
        if self.memory_percent is not None and not 1 <= self.memory_percent <= 100:
            raise ShipformError(path, "autoscale.memory_percent", "must be 1-100", self.memory_percent,
                                "pass a target memory utilization percentage, e.g. 80")
        if not 0 <= self.scale_down_seconds <= 3600:  # the API server's bound
            raise ShipformError(path, "autoscale.scale_down_seconds", "must be 0-3600", self.scale_down_seconds,
                                "pass a stabilization window in seconds, e.g. 300")
        if self.scale_down_percent is not None and not 1 <= self.scale_down_percent <= 100:
            raise ShipformError(path, "autoscale.scale_down_percent", "must be 1-100", self.scale_down_percent,
                                "pass the share of replicas that may go per minute, e.g. 50")
        if self.min > self.max:
            raise ShipformError(path, "autoscale", f"min ({self.min}) must not exceed max ({self.max})",
                                f"{self.min}>{self.max}", "swap them or raise max")
