"""What WebService and Worker share: replicas or autoscaling, and a health check."""

from __future__ import annotations

from constructs import Construct

from shipform import spec
from shipform.model.workload import Workload, WorkloadProps
from shipform.values import checks
from shipform.values.health import Health
from shipform.values.resources import Autoscale


class LongRunningProps(WorkloadProps, total=False):
    replicas: int
    """Default: the Environment's ``replicas``. Ignored for the Deployment when ``autoscale`` is set (the
    HorizontalPodAutoscaler owns the count)."""
    autoscale: Autoscale | None
    """Default: None. An :class:`Autoscale` adds a HorizontalPodAutoscaler."""
    health: Health | None
    """How to tell the process is healthy (see WebService and Worker for their defaults)."""


class LongRunning(Workload):
    """Base of WebService and Worker; not used directly. Props: :class:`LongRunningProps`."""

    def __init__(self, scope: Construct, id: str, props: LongRunningProps, health: Health | None):
        super().__init__(scope, id, props)
        if health is not None:
            health.validate(self.path)
        self.no_health_reason = health.reason if health is not None and health.kind == "none" else None
        self.health = None if self.no_health_reason else health
        self.replicas = checks.positive_int(self.path, "replicas", props.get("replicas", self.environment.replicas))
        self.autoscale = props.get("autoscale")
        if self.autoscale is not None:
            self.autoscale.validate(self.path)

    def add_deployment_objects(self) -> None:
        """Called by subclasses once their own props are set."""
        self.service_account = self.add_object("v1", "ServiceAccount")
        self.deployment = self.add_object("apps/v1", "Deployment")
        self.network_policy = self.add_object("networking.k8s.io/v1", "NetworkPolicy")
        self.disruption_budget = self.add_object("policy/v1", "PodDisruptionBudget") \
            if self.run_spec().min_replicas > 1 else None
        self.autoscaler = self.add_object("autoscaling/v2", "HorizontalPodAutoscaler") if self.autoscale else None

    def own_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        if self.no_health_reason is None:
            return super().own_risks()
        reason = f"no health check: {self.no_health_reason}"
        return spec.AcceptedRisk("CKV_K8S_8", reason), spec.AcceptedRisk("CKV_K8S_9", reason), *super().own_risks()

    def pre_start(self) -> tuple[str, ...] | None:
        return None

    def run_spec(self) -> spec.Continuous:
        scale = self.autoscale
        return spec.Continuous(
            replicas=self.replicas,
            autoscale=(scale.min, scale.max, scale.cpu_percent) if scale else None,
            pre_start=self.pre_start())
