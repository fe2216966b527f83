"""How a workload runs: continuously, to completion, on a schedule, or on every node."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.env import EnvVar, SecretFile
from shipform.spec.facets import ArgoRollout, CanarySplit, QueueScaling, ServerlessRun
from shipform.values.resources import Autoscale
from shipform.values.rollout import ONE_AT_A_TIME, Rolling


@dataclass(frozen=True)
class Container:
    """A container of the pod besides the workload's own (e.g. a backup upload)."""

    name: str
    image: str
    command: tuple[str, ...]
    env: tuple[EnvVar, ...]
    first_step: str
    """The name of the workload's own container when it runs as the first step."""
    secret_files: tuple[SecretFile, ...] = ()
    """The Secret keys only this container mounts (at /run/secrets): the first step never sees them, nor this
    container the workload's own."""


@dataclass(frozen=True)
class Continuous:
    """Runs until stopped, replicated: a Deployment (or a StatefulSet with ``stateful``)."""

    replicas: int
    autoscale: Autoscale | None = None
    """Set when a HorizontalPodAutoscaler owns the replica count."""
    stateful: bool = False
    pre_start: tuple[str, ...] | None = None
    """A command every new pod runs to completion before the workload starts (a migration under Flux)."""
    recommend_resources: bool = False
    """A VerticalPodAutoscaler recommends requests, changing nothing itself."""
    rolling: Rolling = ONE_AT_A_TIME
    """How a Deployment's rollout replaces its pods."""
    progressive: ArgoRollout | None = None
    """Set when Argo Rollouts replaces the pods instead (a canary or blue-green)."""
    queue_scaling: QueueScaling | None = None
    """Set when KEDA owns the replica count (a Worker scaled by a queue's length)."""
    split: CanarySplit | None = None
    """Set when a canary Deployment runs beside this one behind a weighted router."""
    serverless: ServerlessRun | None = None
    """Set when Knative runs the service (a Knative Service instead of a Deployment and Service)."""

    @property
    def count_owned_elsewhere(self) -> bool:
        """An autoscaler (HPA or KEDA) sets the replica count: the controller states none."""
        return self.autoscale is not None or self.queue_scaling is not None or self.serverless is not None

    @property
    def surge_pods(self) -> int:
        """Pods a rollout runs beyond the maximum replicas."""
        if self.split is not None:  # the canary's pods, and a surge pod for its own rollout
            return self.rolling.surge_pods(self.max_replicas) + self.split.replicas + 1
        strategy = self.progressive.strategy if self.progressive else self.rolling
        return strategy.surge_pods(self.max_replicas)

    @property
    def min_replicas(self) -> int:
        scaler = self.autoscale or self.queue_scaling or self.serverless
        return scaler.min if scaler else self.replicas

    @property
    def max_replicas(self) -> int:
        scaler = self.autoscale or self.queue_scaling or self.serverless
        return scaler.max if scaler else self.replicas


@dataclass(frozen=True)
class ToCompletion:
    """Runs once to completion: a Job."""

    backoff_limit: int
    active_deadline_seconds: int
    ttl_seconds_after_finished: int | None
    pre_sync_hook: bool = False
    """The new version waits for it (a migration): an Argo CD Sync hook in a wave after the databases and
    before the workloads; locally a dependency of the service."""
    local_profile: str | None = "jobs"
    """compose profile that keeps it from starting with `up` (None: it runs with the others)."""
    after: Container | None = None
    """A second step in another image that runs once this one succeeded (the first becomes an init step)."""


@dataclass(frozen=True)
class Scheduled:
    """Runs on a cron schedule: a CronJob of ``job``."""

    schedule: str
    time_zone: str | None
    concurrency_policy: str
    starting_deadline_seconds: int
    successful_jobs_history_limit: int
    failed_jobs_history_limit: int
    job: ToCompletion


@dataclass(frozen=True)
class PerNode:
    """One pod on every (selected) node: a DaemonSet, replaced ``max_unavailable`` nodes at a time."""

    max_unavailable: int
    max_nodes: int
    """The most nodes it runs on: what the namespace's quota must hold."""
    tolerations: tuple[tuple[tuple[str, str], ...], ...] = ()
    """Each toleration as sorted (field, value) pairs."""
    node_selector: tuple[tuple[str, str], ...] = ()
    priority_class: str | None = None
    host_network: bool = False


Run = Continuous | ToCompletion | Scheduled | PerNode
