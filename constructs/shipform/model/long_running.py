"""What WebService and Worker share: replicas or autoscaling, and a health check."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.workload import Workload, WorkloadProps
from shipform.values import checks
from shipform.values.health import Health
from shipform.values.resources import Autoscale
from shipform.values.rollout import BlueGreen, Canary, Rolling, RoutedCanary, Strategy
from shipform.values.volume import Scratch, Volume


class LongRunningProps(WorkloadProps, total=False):
    replicas: int
    """Default: the Environment's ``replicas``. Ignored for the Deployment when ``autoscale`` is set (the
    HorizontalPodAutoscaler owns the count)."""
    autoscale: Autoscale | None
    """Default: None. An :class:`Autoscale` adds a HorizontalPodAutoscaler."""
    health: Health | None
    """How to tell the process is healthy (see WebService and Worker for their defaults)."""
    volumes: Mapping[str, Volume | Scratch]
    """Default: {}. ``{folder: Volume(size="10Gi")}`` keeps data in a PersistentVolumeClaim (a named volume in
    compose); ``{folder: Scratch(size="1Gi")}`` is space for the pod's life (emptyDir; tmpfs in compose)."""
    strategy: Strategy | None
    """Default: None, meaning ``Rolling(max_surge=1, max_unavailable=0)``: one extra pod at a time, the wanted count
    serving throughout. ``Rolling(max_surge="25%")`` rolls a large service faster. ``Canary(steps=[...])`` and
    ``BlueGreen()`` (WebService only) hand the rollout to Argo Rollouts (the Environment needs ``rollouts='argo'``),
    with an optional :class:`Analysis` that aborts a bad version. The namespace's quota must hold the surge pods
    (a canary or blue-green: as many again)."""
    recommend_resources: bool
    """Default: False. True adds a VerticalPodAutoscaler in recommendation mode (updateMode 'Off'; the cluster
    needs the VPA): it measures what the pods use and recommends requests (`kubectl describe vpa <name>`), which
    you copy into ``resources=``. It never changes the pods itself: that would evict them to resize, fight a
    CPU autoscaler, and drift from the resources committed to git."""


class LongRunning(Workload):
    """Base of WebService and Worker; not used directly. Props: :class:`LongRunningProps`."""

    def __init__(self, scope: Construct, id: str, props: LongRunningProps, health: Health | None):
        super().__init__(scope, id, props)
        if health is not None:
            health.validate(self.path)
        self.no_health_reason = health.reason if health is not None and health.kind == "none" else None
        self.health = None if self.no_health_reason else health
        self.replicas = checks.positive_int(self.path, "replicas", props.get("replicas", self.environment.replicas))
        self.recommend_resources = props.get("recommend_resources", False)
        strategy: Strategy = props.get("strategy") or Rolling()
        strategy.validate(self.path)
        self.rolling = strategy if isinstance(strategy, Rolling) else Rolling()
        self.routed = strategy if isinstance(strategy, RoutedCanary) else None
        self.progressive = strategy if isinstance(strategy, Canary | BlueGreen) else None
        if self.progressive is not None:
            self._check_progressive(self.progressive)
        self.autoscale = props.get("autoscale")
        if self.autoscale is not None:
            self.autoscale.validate(self.path)
        self.data_volumes = self._validate_volumes(props.get("volumes") or {})
        self.claims = [self.handle(f"claim:{v.source.name}") for v in self.data_volumes
                       if isinstance(v.source, spec.Claim)]
        """Handles on the PersistentVolumeClaims of ``volumes``, in their order."""

    def _check_progressive(self, strategy: Canary | BlueGreen) -> None:
        kind = type(strategy).__name__
        env = self.environment
        if env.rollouts is None:
            raise ShipformError(self.path, "strategy", f"is a {kind}, which needs Argo Rollouts to step the traffic "
                                f"and promote, and Environment '{env.name}' has no such controller", strategy,
                                f"pass rollouts='argo' to Environment '{env.name}' (and install Argo Rollouts there), "
                                "or use Rolling() in it")
        if strategy.analysis is not None and env.monitoring is None:
            raise ShipformError(self.path, "strategy.analysis", f"queries Prometheus, and Environment '{env.name}' "
                                "has no monitoring=", strategy.analysis.query,
                                f"pass monitoring=Monitoring(...) to Environment '{env.name}', or drop the analysis")

    def _validate_volumes(self, volumes: Mapping[str, Volume | Scratch]) -> tuple[spec.Volume, ...]:
        """Each folder its own volume; claims that attach to one node allow one replica."""
        result: list[spec.Volume] = []
        for folder, volume in volumes.items():
            prop = f"volumes.{folder}"
            if not checks.is_plain_path(folder):
                raise ShipformError(self.path, "volumes", "keys must be absolute folders of letters, digits, '.', "
                                    "'_' and '-'", folder, "write e.g. {'/data/uploads': Volume(size='10Gi')}")
            checks.mount_point(self.path, prop, folder)
            size = volume.parse_size(self.path, prop)
            name = spec.data_volume_name(folder)
            claim_name = f"{self.name}-{name.removeprefix('data-')}"
            if len(name) > 63 or len(claim_name) > 253:
                raise ShipformError(self.path, prop, "makes a volume name longer than 63 characters", folder,
                                    "mount the volume at a shorter folder")
            if any(v.name == name for v in result):
                raise ShipformError(self.path, prop, f"makes the same volume name '{name}' as another folder",
                                    folder, "mount each volume at a folder that differs in more than '_', '.', '-' "
                                    "or case")
            source: spec.Claim | spec.Scratch
            if isinstance(volume, Scratch):
                source = spec.Scratch(size)
            else:
                source = spec.Claim(claim_name, size, volume.storage_class, volume.access_mode)
                self._check_attachment(prop, volume)
            result.append(spec.Volume(name, folder, claim_name, source))
        return tuple(result)

    def _check_attachment(self, prop: str, volume: Volume) -> None:
        most = self.autoscale.max if self.autoscale else self.queue.max if self.queue else self.replicas
        beside = self.progressive or self.routed
        if volume.access_mode != "ReadWriteMany" and beside is not None:
            raise ShipformError(self.path, f"{prop}.access_mode", f"is {volume.access_mode}, which attaches to one "
                                f"node, but a {type(beside).__name__} runs the new version's pods beside "
                                "the old ones", volume.access_mode, "use strategy=Rolling() (the pod is then "
                                "recreated), or access_mode='ReadWriteMany' with a storage_class that provides it")
        if volume.access_mode != "ReadWriteMany" and most > 1:
            raise ShipformError(self.path, f"{prop}.access_mode", f"is {volume.access_mode}, which attaches to one "
                                f"node, but the workload runs up to {most} replicas", volume.access_mode,
                                "pass replicas=1, or access_mode='ReadWriteMany' with a storage_class that provides it")
        if volume.access_mode == "ReadWriteMany" and volume.storage_class is None:
            raise ShipformError(self.path, f"{prop}.storage_class", "must name a class that provides ReadWriteMany "
                                "(most default classes, block storage, do not)", None,
                                "pass storage_class='<an NFS, CephFS, EFS or Filestore class>'")

    def volumes(self) -> tuple[spec.Volume, ...]:
        return self.data_volumes

    def add_deployment_objects(self) -> None:
        """Called by subclasses once their own props are set. Each handle is resolved at synth time: the plan
        decides which objects there are (a budget only with more than one replica, an autoscaler only with
        autoscale=, ...)."""
        self.service_account = self.handle("service-account")
        self.deployment = self.handle("controller")
        """What runs the pods: a Deployment, a Rollout under Argo Rollouts, a Knative Service when serverless."""
        self.analysis_template = self.handle("analysis-template")
        self.network_policy = self.handle("network-policy")
        self.disruption_budget = self.handle("disruption-budget")
        self.autoscaler = self.handle("autoscaler")
        self.recommender = self.handle("recommender")

    def own_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        if self.no_health_reason is None:
            return super().own_risks()
        reason = f"no health check: {self.no_health_reason}"
        return spec.AcceptedRisk("CKV_K8S_8", reason), spec.AcceptedRisk("CKV_K8S_9", reason), *super().own_risks()

    def pre_start(self) -> tuple[str, ...] | None:
        return None

    def second_service_name(self) -> str | None:
        """The Service of the new version under Argo Rollouts (a WebService's preview or canary Service)."""
        return None

    def traffic_routed(self) -> bool:
        """A canary's share of the traffic is set by the workload's exposure (a public WebService behind
        ingress-nginx: by its canary Ingress), not by its share of the pods."""
        return False

    def run_spec(self) -> spec.Continuous:
        command = self.pre_start()
        return spec.Continuous(replicas=self.replicas, rolling=self.rolling,
                               pre_start=spec.PreStart(command) if command else None)

    def run_facets(self) -> tuple[spec.Facet, ...]:
        scale = self.autoscale
        found = (spec.Autoscaling(scale.min, scale.max, scale) if scale is not None else None, self.queue_scaling(),
                 self.serverless_run(), self.progressive_rollout(), self.canary_split(),
                 spec.ResourceRecommendation() if self.recommend_resources else None)
        return tuple(f for f in found if f is not None)

    def progressive_rollout(self) -> spec.ArgoRollout | None:
        """Argo Rollouts' strategy, for a Canary or BlueGreen."""
        if self.progressive is None:
            return None
        monitoring = self.environment.monitoring
        address = monitoring.address if monitoring and self.progressive.analysis else None
        return spec.ArgoRollout(self.progressive, address, self.second_service_name())

    def serverless_run(self) -> spec.ServerlessRun | None:
        """Knative's scaling, for a WebService with serverless=."""
        return None

    def canary_split(self) -> spec.CanarySplit | None:
        """The routed canary's Deployment and weight (a public WebService's RoutedCanary)."""
        return None

    def queue_scaling(self) -> spec.QueueScaling | None:
        """KEDA's trigger, for a Worker scaled by its queue."""
        return None
