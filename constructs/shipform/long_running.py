"""What WebService and Worker share: a Deployment with its ServiceAccount, NetworkPolicy and, when
asked, a PodDisruptionBudget and a HorizontalPodAutoscaler."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from shipform import props
from shipform.outputs import network, pod
from shipform.values import Autoscale
from shipform.workload import Workload


class LongRunning(Workload):
    """Base of WebService and Worker; not used directly.

    :param replicas: Default: the Environment's ``replicas``. Ignored for the Deployment when
        ``autoscale`` is set (the HorizontalPodAutoscaler owns the count).
    :param autoscale: Default: None. An :class:`Autoscale` adds a HorizontalPodAutoscaler.
    """

    def __init__(self, scope: Construct, id: str, *, replicas: int | None = None,
                 autoscale: Autoscale | None = None, **workload: Any):
        super().__init__(scope, id, **workload)
        self.replicas = props.positive_int(self.path, "replicas", replicas if replicas is not None
                                           else self.environment.replicas)
        self.autoscale = autoscale
        if autoscale is not None:
            autoscale.validate(self.path)

    def add_deployment_objects(self) -> None:
        """Called by subclasses once their own props are set, so objects render with them."""
        self.service_account = self.add_object("v1", "ServiceAccount", self._service_account)
        self.deployment = self.add_object("apps/v1", "Deployment", self._deployment)
        self.network_policy = self.add_object("networking.k8s.io/v1", "NetworkPolicy",
                                              lambda: network.network_policy(self, self.public))
        self.disruption_budget = self.add_object("policy/v1", "PodDisruptionBudget", self._pdb) \
            if self.min_replicas > 1 else None
        self.autoscaler = self.add_object("autoscaling/v2", "HorizontalPodAutoscaler", self._hpa) \
            if self.autoscale else None

    public = False

    @property
    def min_replicas(self) -> int:
        return self.autoscale.min if self.autoscale else self.replicas

    @property
    def max_replicas(self) -> int:
        return self.autoscale.max if self.autoscale else self.replicas

    def container_ports(self) -> list[dict[str, Any]]:
        return []

    def init_containers(self) -> list[dict[str, Any]]:
        return []

    def _deployment(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if self.autoscale is None:
            spec["replicas"] = self.replicas
        spec.update({
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": self.selector},
            # Never below the wanted count during a rollout: new pods must be ready before old ones go.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": pod.pod_template(self, self.container_ports(), init_containers=self.init_containers()),
        })
        return {"metadata": self.metadata(), "spec": spec}

    def _hpa(self) -> dict[str, Any]:
        assert self.autoscale is not None
        return {"metadata": self.metadata(), "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.name},
            "minReplicas": self.autoscale.min,
            "maxReplicas": self.autoscale.max,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": self.autoscale.cpu_percent}}}],
        }}
