"""Worker: a long-running process with no inbound port, such as a queue consumer."""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.long_running import LongRunning, LongRunningProps
from shipform.values.prop_types import check_props


class Worker(LongRunning):
    """A Deployment with no Service and no Ingress; its NetworkPolicy admits nothing in.

    Props: :class:`LongRunningProps`. ``health`` defaults to None, meaning no liveness check at all
    (Kubernetes restarts the pod only when the process exits). ``Health.exec([...])`` adds startup,
    readiness and liveness probes (readiness gates rollouts: a new worker must be healthy before an old
    one stops), the compose healthcheck and the image HEALTHCHECK.
    """

    component = "worker"

    def __init__(self, scope: Construct, id: str, **props: Unpack[LongRunningProps]):
        path = child_path(scope, id)
        check_props(path, props, LongRunningProps)
        health = props.get("health")
        if health is not None and health.kind != "exec":
            raise ShipformError(path, "health", "of a Worker must be a command (a worker has no port to probe)",
                                health.kind, "use Health.exec([...]) or leave health unset")
        super().__init__(scope, id, props, health)
        self.add_deployment_objects()
