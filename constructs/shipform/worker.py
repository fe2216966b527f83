"""Worker: a long-running process with no inbound port, such as a queue consumer."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from shipform.base import child_path
from shipform.errors import ShipformError
from shipform.health import Health
from shipform.long_running import LongRunning


class Worker(LongRunning):
    """A Deployment with no Service and no Ingress; its NetworkPolicy admits nothing in.

    Props are :class:`LongRunning`'s and :class:`Workload`'s.

    :param health: Default: None, meaning no liveness check at all (Kubernetes restarts the pod only
        when the process exits). ``Health.exec([...])`` adds startup, readiness and liveness probes (readiness
        gates rollouts: a new worker must be healthy before an old one stops), the compose healthcheck and the
        image HEALTHCHECK.
    """

    component = "worker"

    def __init__(self, scope: Construct, id: str, *, health: Health | None = None, **workload: Any):
        if health is not None and getattr(health, "kind", None) != "command":
            raise ShipformError(child_path(scope, id), "health",
                                "of a Worker must be a command (a worker has no port to probe)",
                                getattr(health, "kind", health), "use Health.exec([...]) or leave health unset")
        super().__init__(scope, id, health=health, **workload)
        self.add_deployment_objects()
