"""Worker: a long-running process with no inbound port, such as a queue consumer."""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.long_running import LongRunning, LongRunningProps
from shipform.values.prop_types import check_props
from shipform.values.rollout import BlueGreen


class Worker(LongRunning):
    """A Deployment with no Service and no Ingress; its NetworkPolicy admits nothing in.

    Props: :class:`LongRunningProps`. ``health`` is required: ``Health.exec([...])`` adds startup,
    readiness and liveness probes (readiness gates rollouts: a new worker must be healthy before an old
    one stops), the compose healthcheck and the image HEALTHCHECK; ``Health.none("<why>")`` states that
    the worker has no check (Kubernetes restarts it only when the process exits), and the reason is written
    where scanners that want probes read accepted risks.
    """

    component = "worker"

    def __init__(self, scope: Construct, id: str, **props: Unpack[LongRunningProps]):
        path = child_path(scope, id)
        check_props(path, props, LongRunningProps)
        health = props.get("health")
        if health is None:
            raise ShipformError(path, "health", "is required: say how to tell the worker is healthy, or why it has "
                                "no check", None, "pass health=Health.exec([...]) (a command that exits 0 when "
                                "healthy) or health=Health.none('<why>')")
        if health.kind not in ("exec", "none"):
            raise ShipformError(path, "health", "of a Worker must be a command (a worker has no port to probe)",
                                health.kind, "use Health.exec([...]) or Health.none('<why>')")
        if isinstance(props.get("strategy"), BlueGreen):
            raise ShipformError(path, "strategy", "is a BlueGreen, which switches a Service from the old pods to the "
                                "new, and a Worker has no Service", props.get("strategy"),
                                "use Canary(steps=[...]) (a share of the pods) or Rolling()")
        super().__init__(scope, id, props, health)
        self.add_deployment_objects()
