"""Worker: a long-running process with no inbound port, such as a queue consumer."""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.long_running import LongRunning, LongRunningProps
from shipform.model.observability import Metrics
from shipform.model.queue_scaling import Queue
from shipform.values.prop_types import check_props
from shipform.values.rollout import BlueGreen, RoutedCanary


class WorkerProps(LongRunningProps, total=False):
    metrics: Metrics | None
    """Default: None. ``Metrics(port=9090)``: Prometheus scrapes the worker's pods on that port (a PodMonitor, and
    the NetworkPolicy admits Prometheus' pods on it alone), where the Environment has ``monitoring=``."""
    scale_on: Queue | None
    """Default: None. A :class:`Queue` on a server the worker connects to: KEDA sets the replica count by the
    queue's length (a ScaledObject), down to none while it is empty with ``min=0``; the Environment needs
    ``keda=Keda()``, and the server admits KEDA's operator on its port."""


class Worker(LongRunning):
    """A Deployment with no Service and no Ingress; its NetworkPolicy admits nothing in (but Prometheus on its
    metrics port, with ``metrics=``).

    Props: :class:`WorkerProps`. ``health`` is required: ``Health.exec([...])`` adds startup,
    readiness and liveness probes (readiness gates rollouts: a new worker must be healthy before an old
    one stops), the compose healthcheck and the image HEALTHCHECK; ``Health.none("<why>")`` states that
    the worker has no check (Kubernetes restarts it only when the process exits), and the reason is written
    where scanners that want probes read accepted risks.
    """

    component = "worker"

    def __init__(self, scope: Construct, id: str, **props: Unpack[WorkerProps]):
        path = child_path(scope, id)
        check_props(path, props, WorkerProps)
        health = props.get("health")
        if health is None:
            raise ShipformError(path, "health", "is required: say how to tell the worker is healthy, or why it has "
                                "no check", None, "pass health=Health.exec([...]) (a command that exits 0 when "
                                "healthy) or health=Health.none('<why>')")
        if health.kind not in ("exec", "none"):
            raise ShipformError(path, "health", "of a Worker must be a command (a worker has no port to probe)",
                                health.kind, "use Health.exec([...]) or Health.none('<why>')")
        if isinstance(props.get("strategy"), RoutedCanary):
            raise ShipformError(path, "strategy", "is a RoutedCanary, which a router splits by weight, and a Worker "
                                "has no traffic to split", props.get("strategy"),
                                "use Canary(steps=[...]) with Argo Rollouts (a share of the pods) or Rolling()")
        if isinstance(props.get("strategy"), BlueGreen):
            raise ShipformError(path, "strategy", "is a BlueGreen, which switches a Service from the old pods to the "
                                "new, and a Worker has no Service", props.get("strategy"),
                                "use Canary(steps=[...]) (a share of the pods) or Rolling()")
        self.metrics = props.get("metrics")
        if self.metrics is not None:
            self.metrics.validate(path)
            self.metrics.worker_port(path)
        self.queue = props.get("scale_on")
        if self.queue is not None and props.get("autoscale") is not None:
            raise ShipformError(path, "scale_on", "and autoscale both set the replica count", self.queue.name,
                                "keep one: scale_on for a queue's length, autoscale for CPU and memory")
        super().__init__(scope, id, props, health)
        self.add_deployment_objects()
        self.pod_monitor = self.handle("pod-monitor")
        self.scaled_object = self.handle("scaled-object")
        self.trigger_auth = self.handle("trigger-authentication")

    def scrape(self) -> spec.Scrape | None:
        monitoring = self.environment.monitoring
        if self.metrics is None or monitoring is None:
            return None
        return spec.Scrape(self.metrics.worker_port(self.path), self.metrics.path, self.metrics.interval, monitoring)

    def referenced_secrets(self) -> set[str]:
        """The Secrets its pods mount, and the one KEDA reads the queue's credentials from."""
        return super().referenced_secrets() | {ref.name for ref in (self.queue.secret_refs() if self.queue else ())}

    def queue_scaling(self) -> spec.QueueScaling | None:
        return self.queue.to_spec(self) if self.queue is not None else None

    def validate(self) -> list[ShipformError]:
        errors = super().validate()
        try:
            self.queue_scaling()
        except ShipformError as err:
            errors.append(err)
        return errors
