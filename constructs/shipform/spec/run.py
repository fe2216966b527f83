"""How a workload runs: continuously, to completion, on a schedule, or on every node."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.env import EnvVar, SecretFile
from shipform.spec.facet import Faceted
from shipform.spec.facets import Rollout, Scaling
from shipform.spec.network import Endpoint
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
class PreStart:
    """A command every new pod runs to completion before the workload starts (a migration under Flux). In
    Kubernetes it is an init container of the pod, and so shares the pod's env, secrets and network; locally it is
    a one-shot service of its own with only what it reaches: ``env``, ``secret_files`` and ``connects_to`` (a
    migration's databases)."""

    command: tuple[str, ...]
    env: tuple[EnvVar, ...] = ()
    secret_files: tuple[SecretFile, ...] = ()
    connects_to: tuple[Endpoint, ...] = ()


@dataclass(frozen=True)
class Continuous:
    """Runs until stopped, replicated: a Deployment (or a StatefulSet with ``stateful``). What scales it or rolls it
    out otherwise are facets of the workload (a :class:`~shipform.spec.facets.Scaling`, a
    :class:`~shipform.spec.facets.Rollout`); the functions below ask them."""

    replicas: int
    stateful: bool = False
    pre_start: PreStart | None = None
    rolling: Rolling = ONE_AT_A_TIME
    """How a Deployment's rollout replaces its pods."""


def count_owned_elsewhere(w: Faceted) -> bool:
    """A scaler (an autoscaler, KEDA, Knative) sets the replica count: the controller states none."""
    return w.facet(Scaling) is not None


def min_replicas(run: Continuous, w: Faceted) -> int:
    scaler = w.facet(Scaling)
    return scaler.min if scaler else run.replicas


def max_replicas(run: Continuous, w: Faceted) -> int:
    scaler = w.facet(Scaling)
    return scaler.max if scaler else run.replicas


def surge_pods(run: Continuous, w: Faceted) -> int:
    """Pods a rollout runs beyond the maximum replicas."""
    rollout, most = w.facet(Rollout), max_replicas(run, w)
    return rollout.surge_pods(run.rolling, most) if rollout else run.rolling.surge_pods(most)


@dataclass(frozen=True)
class ToCompletion:
    """Runs once to completion: a Job."""

    backoff_limit: int
    active_deadline_seconds: int
    ttl_seconds_after_finished: int | None
    pre_sync_hook: bool = False
    """The new version waits for it (a migration): an Argo CD Sync hook in a wave after the databases and
    before the workloads; locally a dependency of the service."""
    on_demand: str | None = "jobs"
    """The group of runs it belongs to that start only when asked for ('jobs', 'backup'), not with the app's
    services; None: it starts with them (a migration, which they wait for)."""
    after: Container | None = None
    """A second step in another image that runs once this one succeeded (the first becomes an init step)."""
    before: Container | None = None
    """A step in another image that runs to completion before this one (an init step; Kubernetes only)."""

    @property
    def steps(self) -> tuple[Container, ...]:
        """Its containers besides the workload's own."""
        return tuple(c for c in (self.before, self.after) if c is not None)


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
    suspended: bool = False
    """Never started by its schedule: its Jobs are created by hand (``kubectl create job --from=cronjob/...``)."""


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
    supplemental_groups: tuple[int, ...] = ()
    """Groups the pod's processes belong to besides their own (a log shipper's 0: the node's log files are
    readable by group root)."""


Run = Continuous | ToCompletion | Scheduled | PerNode
