"""Small value types constructs take as props: resources, autoscaling, secret references."""

from __future__ import annotations

from dataclasses import dataclass

from shipform import props
from shipform.errors import ShipformError


@dataclass(frozen=True)
class Resources:
    """CPU and memory for one container. Requests are what the scheduler reserves; limits cap use.

    Default: 100m CPU and 128Mi requested, 500m CPU and 256Mi limit.
    """

    cpu: str = "100m"
    memory: str = "128Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "256Mi"

    def validate(self, path: str) -> None:
        cpu = props.cpu_millis(path, "resources.cpu", self.cpu)
        cpu_limit = props.cpu_millis(path, "resources.cpu_limit", self.cpu_limit)
        memory = props.memory_bytes(path, "resources.memory", self.memory)
        memory_limit = props.memory_bytes(path, "resources.memory_limit", self.memory_limit)
        if cpu > cpu_limit:
            raise ShipformError(path, "resources.cpu_limit", f"must not be below the request {self.cpu}",
                                self.cpu_limit, "raise cpu_limit or lower cpu")
        if memory > memory_limit:
            raise ShipformError(path, "resources.memory_limit", f"must not be below the request {self.memory}",
                                self.memory_limit, "raise memory_limit or lower memory")

    @staticmethod
    def compose_cpus(quantity: str) -> str:
        """Compose counts CPUs in cores, as a decimal string."""
        millis = props.cpu_millis("", "", quantity)
        return f"{millis / 1000:g}"

    @staticmethod
    def compose_memory(quantity: str) -> str:
        """Compose reads 'M'/'G' as binary units, the same as Kubernetes 'Mi'/'Gi'."""
        return quantity[:-1]


@dataclass(frozen=True)
class Autoscale:
    """Horizontal autoscaling on CPU use. Default: 2 to 10 replicas at 70% of the CPU request."""

    min: int = 2
    max: int = 10
    cpu_percent: int = 70

    def validate(self, path: str) -> None:
        props.positive_int(path, "autoscale.min", self.min)
        props.positive_int(path, "autoscale.max", self.max)
        if not isinstance(self.cpu_percent, int) or not 1 <= self.cpu_percent <= 100:
            raise ShipformError(path, "autoscale.cpu_percent", "must be 1-100", self.cpu_percent,
                                "pass a target CPU utilization percentage, e.g. 70")
        if self.min > self.max:
            raise ShipformError(path, "autoscale", f"min ({self.min}) must not exceed max ({self.max})",
                                f"{self.min}>{self.max}", "swap them or raise max")


@dataclass(frozen=True)
class SecretRef:
    """A reference to one key of a Secret managed outside shipform; the value never enters any output.

    In Kubernetes it is the key ``key`` of the Secret ``name``, mounted read-only as a file; in compose
    it is the local file ``secrets/<name>.<key>`` next to the compose file, which git ignores.
    """

    name: str
    key: str

    def validate(self, path: str, prop: str) -> None:
        props.dns_label(path, f"{prop}.name", self.name, max_len=253)
        if not isinstance(self.key, str) or not self.key or not all(c.isalnum() or c in "-._" for c in self.key):
            raise ShipformError(path, f"{prop}.key", "must be a Secret data key ([-._a-zA-Z0-9]+)", self.key,
                                "use the key as it appears in the Secret, e.g. 'password'")

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.key}"
