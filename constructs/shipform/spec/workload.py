"""What a workload is, for every output: identity, image, command, env, secrets, ports, health, volumes,
exposure, connections and how it runs (continuously, to completion, on a schedule)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shipform.values.health import Health
from shipform.values.quantity import Memory
from shipform.values.resources import Autoscale, ComputeResources
from shipform.values.rollout import ONE_AT_A_TIME, Progressive, Rolling
from shipform.values.secret_ref import SecretRef

Platform = Literal["kubernetes", "compose"]
BOTH: frozenset[Platform] = frozenset(("kubernetes", "compose"))


TLS_FILES = {"CERT": "tls.crt", "KEY": "tls.key", "CA": "ca.crt"}
"""A TLS Secret's keys (cert-manager's names), by the suffix of the secret env name a database mounts each under
(``DB_TLS_CERT``, ...)."""
TLS_KEY_ENV = "DB_TLS_KEY"
"""The secret env name of a server's TLS key: the Secret it comes from is a certificate, never a random value."""

WRITABLE_PATH_SIZE = Memory(64 * 2**20, "binary")
"""The emptyDir (tmpfs in compose) behind each writable path."""


def ephemeral_need(own: Memory, writable_paths: int, scratch: list[Memory]) -> Memory:
    """A container's ephemeral storage, requested and limited alike: its own share plus every emptyDir it
    mounts (the kubelet counts those against the pod's ephemeral storage too)."""
    return Memory(own.bytes + WRITABLE_PATH_SIZE.bytes * writable_paths + sum(m.bytes for m in scratch), "binary")


def scratch_volume_name(path: str) -> str:
    """The pod volume behind a writable path: 'tmp' for /tmp, else 'rw-' and the path's parts."""
    return "tmp" if path == "/tmp" else "rw" + path.replace("/", "-").replace("_", "-").replace(".", "-").lower()


def data_volume_name(path: str) -> str:
    """The pod volume a Volume or Scratch of a WebService or Worker mounts at ``path``: 'data' and the path's
    parts."""
    return "data" + path.replace("/", "-").replace("_", "-").replace(".", "-").lower()


def health_checked_in_compose(health: Health | None, builds_image: bool) -> bool:
    """compose can check health only with a probe that exists in the image: the generated probe program of an
    image shipform generates the Dockerfile of, or an exec command."""
    return health is not None and (builds_image or health.kind == "exec")


def shipform_labels(app: str) -> dict[str, str]:
    """The labels of every object shipform makes for ``app`` outside a workload."""
    return {"app.kubernetes.io/part-of": app, "app.kubernetes.io/managed-by": "shipform"}


def selector(app: str, name: str) -> dict[str, str]:
    """The labels that pick a workload's pods."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": app}


@dataclass(frozen=True)
class Plain:
    """A literal value, the same on every platform."""

    value: str


@dataclass(frozen=True)
class FromSecret:
    """The value of a Secret key. Kubernetes reads it with a secretKeyRef; compose has secrets as files only."""

    ref: SecretRef


@dataclass(frozen=True)
class ServiceHost:
    """The host name of the server ``name`` in ``namespace``, as the client reaches it: in Kubernetes the bare
    name in the client's own namespace and ``name.namespace`` from another one; locally the service name."""

    name: str
    namespace: str


@dataclass(frozen=True)
class ConnectionUrl:
    """A URL to a server. Where the platform can expand ``password_var`` (Kubernetes' dependent variables)
    the URL carries the password as ``$(password_var)``; elsewhere it has none."""

    scheme: str
    user: str
    host: ServiceHost
    port: int
    path: str
    password_var: str | None = None
    cluster_port: int | None = None
    """The port in Kubernetes when it differs from ``port`` (a Knative service's gateway)."""


@dataclass(frozen=True)
class FromConfig:
    """A configuration value: in Kubernetes a key of the workload's ConfigMap ``config_map``, elsewhere the
    value itself."""

    config_map: str
    key: str
    value: str


@dataclass(frozen=True)
class ServicePort:
    """A server's port as the client calls it: ``kubernetes`` there (a Knative service's gateway), ``local`` in
    compose."""

    local: int
    kubernetes: int


EnvValue = Plain | FromSecret | FromConfig | ServiceHost | ConnectionUrl | ServicePort


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: EnvValue
    platforms: frozenset[Platform] = BOTH


@dataclass(frozen=True)
class SecretFile:
    """A Secret key mounted read-only at ``/run/secrets/<ref.file_name>``; ``<env_name>_FILE`` holds the path."""

    env_name: str
    ref: SecretRef


@dataclass(frozen=True)
class AcceptedRisk:
    """A scanner finding the app accepts on purpose, with the reason, written where the scanner reads it."""

    check: str
    """The scanner's check id, e.g. checkov's 'CKV_K8S_35'."""
    reason: str


@dataclass(frozen=True)
class Port:
    name: str
    number: int
    app_protocol: str | None = None
    """The Service port's appProtocol (meshes, gateways and load balancers read it); None leaves it out."""


@dataclass(frozen=True)
class ExternalAddress:
    """A server outside the cluster: its host, and the address ranges it may be at (empty: any public one)."""

    host: str
    cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """A workload as a network peer: where it runs and, for servers, the port it is reached on."""

    name: str
    namespace: str
    app: str
    port: int | None
    healthcheck_locally: bool
    """True when the peer has a health check in compose (clients then wait for service_healthy)."""
    ports: tuple[Port, ...] = ()
    """The ports this connection uses: of the server, seen from a client; of this server, seen from it. Empty
    for peers without a port."""
    external: ExternalAddress | None = None
    """Set for a server outside the cluster (an External): reached by address, never by pod selector."""
    with_canary: bool = False
    """The peer also runs as ``<name>-canary`` (a routed canary's new version), which servers admit alike."""
    through: PlatformPeer | None = None
    """Set for a server that clients reach through a gateway (a Knative service): their egress goes there."""

    @property
    def names(self) -> tuple[str, ...]:
        """The workload names this peer runs as in Kubernetes."""
        return (self.name, f"{self.name}-canary") if self.with_canary else (self.name,)

    @property
    def selector(self) -> dict[str, str]:
        return selector(self.app, self.name)


@dataclass(frozen=True)
class ClaimTemplate:
    """A PersistentVolumeClaim per pod (a StatefulSet's volumeClaimTemplate)."""

    size: Memory
    storage_class: str | None
    access_mode: str


@dataclass(frozen=True)
class Claim:
    """A PersistentVolumeClaim of its own, named ``name``."""

    name: str
    size: Memory
    storage_class: str | None
    access_mode: str = "ReadWriteOnce"


@dataclass(frozen=True)
class Scratch:
    """Space that lives as long as the pod (an emptyDir)."""

    size: Memory


@dataclass(frozen=True)
class HostFolder:
    """A folder of the node itself (hostPath): only for node agents in namespaces that allow host access."""

    path: str
    read_only: bool = True


@dataclass(frozen=True)
class Volume:
    """Data a workload keeps at ``mount_path``; locally (compose) a named volume ``local_name``."""

    name: str
    mount_path: str
    local_name: str
    source: ClaimTemplate | Claim | Scratch | HostFolder


@dataclass(frozen=True)
class ConfigFile:
    """A file of the app mounted read-only at ``mount_path``: the ConfigMap's key ``key`` in Kubernetes, the
    ``source`` file itself in compose."""

    key: str
    mount_path: str
    source: Path
    content: str


@dataclass(frozen=True)
class Config:
    """A workload's configuration: an immutable ConfigMap ``name`` (a hash of the content ends it, so a change
    is a new ConfigMap and a new pod template) holding the env values and the files."""

    name: str
    values: tuple[tuple[str, str], ...]
    files: tuple[ConfigFile, ...]

    @property
    def data(self) -> dict[str, str]:
        return {**dict(self.values), **{f.key: f.content for f in self.files}}


@dataclass(frozen=True)
class Exposure:
    """A public service: reachable from the ingress controller (or the Gateway's proxies), under ``host``, with
    TLS: an Ingress, or with ``gateway`` ('<namespace>/<name>') an HTTPRoute attached to that Gateway, which
    terminates TLS itself."""

    host: str
    tls_secret: str
    ingress_class: str
    controller_namespace: str
    cluster_issuer: str | None
    gateway: str | None = None
    controller_pods: tuple[tuple[str, str], ...] | None = None
    """Labels of the controller's pods, admitted alone; None admits its whole namespace."""


@dataclass(frozen=True)
class AlertSettings:
    """When the default alerts fire: durations are Prometheus durations ('15m')."""

    crash_loop_for: str = "5m"
    not_ready_for: str = "15m"
    at_maximum_for: str = "15m"
    volume_full_percent: int = 85
    job_missed_hours: int = 48


@dataclass(frozen=True)
class Monitoring:
    """Where Prometheus runs (prometheus-operator): its namespace, the labels of its pods (admitted to scrape)
    and the labels its ServiceMonitor and PrometheusRule selectors want on shipform's objects."""

    namespace: str
    pods: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    address: str = ""
    """Prometheus' HTTP API, which rollout analyses query."""
    alerts: AlertSettings = AlertSettings()


@dataclass(frozen=True)
class Telemetry:
    """Where the workload sends traces, metrics and logs over OTLP: an OpenTelemetry Collector in the cluster."""

    endpoint: str
    port: int
    protocol: str
    namespace: str
    pods: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scrape:
    """Prometheus scrapes the workload's Service on ``port`` at ``path`` every ``interval``."""

    port: Port
    path: str
    interval: str
    monitoring: Monitoring


ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]


@dataclass(frozen=True)
class ServiceAccess:
    """How the Service is reached: ClusterIP inside the cluster, or NodePort or LoadBalancer from outside it,
    then only from ``source_ranges`` (empty: anywhere), keeping the client's address (externalTrafficPolicy
    Local)."""

    type: ServiceType = "ClusterIP"
    source_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class EgressToInternet:
    """Traffic that leaves the cluster (e.g. to an object store), on one TCP port only: to ``cidrs``, or to any
    public address."""

    port: int
    cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltImage:
    """An image built from source by the Dockerfile of workload ``dockerfile_of``, from ``context``: the one
    shipform generates, or the team's own ``dockerfile``."""

    dockerfile_of: str
    context: Path
    dockerfile: Path | None = None


@dataclass(frozen=True)
class ImageBuild:
    """How the workload's image is built from source (only on the workload that owns the Dockerfile)."""

    preset: Literal["python", "node", "go", "dockerfile"]
    context: Path
    layout: str
    builder_image: str
    runtime_image: str
    command: tuple[str, ...]
    build_command: tuple[str, ...]
    package: str
    title: str
    version: str
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    args: tuple[tuple[str, str], ...] = ()
    dockerfile: Path | None = None
    """The team's own Dockerfile (preset 'dockerfile'): nothing is generated for it."""
    project_ignore: tuple[str, ...] = ()
    """The rules of the context's own .dockerignore, which the generated ignore file keeps."""
    runtime: Literal["debian", "distroless"] = "debian"
    """The runtime image's kind: Debian (with a shell, stripped) or distroless (no shell at all)."""
    installer: str = ""
    """Node: the tool that installs the lockfile ('npm', 'pnpm', 'yarn', 'yarn-berry', 'bun')."""
    runtime_files: tuple[str, ...] = ()
    """Node: what the runtime image copies besides package.json and node_modules (package.json's files and main);
    () for the whole build context."""
    native: tuple[str, ...] = ()
    """Dependencies found in the lockfile that brought build or runtime packages the app did not list itself."""


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
class ArgoRollout:
    """Argo Rollouts replaces the pods by ``strategy``: a Rollout instead of a Deployment."""

    strategy: Progressive
    traffic: Literal["nginx", "pods"]
    """How a canary's share of the traffic is set: by ingress-nginx's canary Ingress (exact weights), or by its
    share of the pods."""
    prometheus: str | None = None
    """Prometheus' address, where the strategy has an analysis."""
    second_service: str | None = None
    """The Service the new version is reached by before it takes over: a blue-green's preview, or a canary's
    behind ingress-nginx (its canary Ingress points there)."""


@dataclass(frozen=True)
class Mesh:
    """The service mesh a namespace is enrolled in (sidecars, mutual TLS required): ``kind`` names its provider in
    ``shipform.providers.mesh.MESHES``, which knows what the rest of the fields mean to that mesh."""

    kind: str
    namespace: str
    """Where the control plane runs."""
    pods: tuple[tuple[str, str], ...]
    trust_domain: str
    retries: int
    timeout: str
    rate_limit: int
    """Requests per second each pod of a public service accepts."""
    proxy: ComputeResources
    """The sidecar's requests and limits."""


@dataclass(frozen=True)
class PlatformPeer:
    """Pods of a cluster component (not of the app) a workload admits on some of its ports: KEDA's operator
    reading a queue's length, a mesh's control plane."""

    namespace: str
    pods: tuple[tuple[str, str], ...]
    ports: tuple[Port, ...]


@dataclass(frozen=True)
class QueueScaling:
    """KEDA owns the replica count, from ``min`` (0: none while the queue is empty) to ``max``, by a trigger of
    type ``trigger`` with ``metadata``; ``auth`` is each credential parameter with the Secret key it comes from."""

    trigger: str
    metadata: tuple[tuple[str, str], ...]
    auth: tuple[tuple[str, SecretRef], ...]
    min: int
    max: int


@dataclass(frozen=True)
class KnativeServing:
    """Knative Serving in the cluster: its activator and autoscaler, and the gateway requests go through."""

    namespace: str
    gateway_namespace: str
    gateway_pods: tuple[tuple[str, str], ...]
    gateway_port: int
    queue_proxy: ComputeResources

    ACTIVATOR_PODS = (("app", "activator"),)
    AUTOSCALER_PODS = (("app", "autoscaler"),)
    QUEUE_PORT = Port("queue", 8012)
    """queue-proxy's port for HTTP/1 requests (from the gateway and the activator)."""
    QUEUE_H2C_PORT = Port("queue-h2c", 8013)
    """queue-proxy's port for HTTP/2 and gRPC requests."""
    CLIENT_PORT = 80
    """The port clients call a Knative service on (its gateway's)."""
    QUEUE_METRICS_PORT = Port("queue-metrics", 9090)
    """queue-proxy's port the autoscaler reads concurrency from."""


@dataclass(frozen=True)
class ServerlessRun:
    """A Knative Service: ``min`` to ``max`` pods by requests in flight (``concurrency`` per pod)."""

    min: int
    max: int
    concurrency: int
    timeout_seconds: int
    serving: KnativeServing


@dataclass(frozen=True)
class CanarySplit:
    """Two Deployments behind a weighted router: the running version (``stable_image``) in ``<name>``, the new one
    (the workload's image) in ``<name>-canary`` with ``replicas`` pods and ``weight`` percent of the public
    traffic, split by ingress-nginx or by a Gateway's HTTPRoute."""

    weight: int
    stable_image: str
    replicas: int
    router: Literal["nginx", "gateway"]


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


@dataclass(frozen=True)
class Workload:
    """One workload, complete: every output renders from this and nothing else."""

    path: str
    name: str
    namespace: str
    component: str
    app: str
    version: str
    image: str
    run: Run
    built: BuiltImage | None = None
    """Set when the image is built from source (by this workload's Dockerfile or, with image_of, another's)."""
    build: ImageBuild | None = None
    command: tuple[str, ...] | None = None
    env: tuple[EnvVar, ...] = ()
    secret_files: tuple[SecretFile, ...] = ()
    config: Config | None = None
    ports: tuple[Port, ...] = ()
    health: Health | None = None
    resources: ComputeResources | None = None
    run_as_user: int = 10001
    run_as_group: int = 10001
    local_user: tuple[int, int] | None = None
    """UID:GID locally when it differs: runtimes without fsGroup must run as the owner of the data folder."""
    read_only_root_filesystem: bool = True
    writable_paths: tuple[str, ...] = ()
    volumes: tuple[Volume, ...] = ()
    termination_grace_period_seconds: int = 30
    exposure: Exposure | None = None
    scrape: Scrape | None = None
    telemetry: Telemetry | None = None
    access: ServiceAccess = ServiceAccess()
    connects_to: tuple[Endpoint, ...] = ()
    clients: tuple[Endpoint, ...] = ()
    egress_to_internet: tuple[EgressToInternet, ...] = ()
    waits_for: tuple[str, ...] = ()
    """One-off workloads that must complete before this one starts (its migration)."""
    accepted_risks: tuple[AcceptedRisk, ...] = ()
    platform_clients: tuple[PlatformPeer, ...] = ()
    """Cluster components admitted besides the declared clients (KEDA's operator on a queue it measures)."""
    mesh: Mesh | None = None
    """Set when the workload's namespace is enrolled in a service mesh."""

    @property
    def port(self) -> int | None:
        return self.ports[0].number if self.ports else None

    @property
    def health_port(self) -> Port | None:
        """The port the health check uses: the one it names, for gRPC the first port named grpc*, else the main
        one."""
        if self.health is None or not self.ports:
            return None
        named = [p for p in self.ports if p.name == self.health.port]
        if named:
            return named[0]
        if self.health.kind == "grpc":
            return next((p for p in self.ports if p.name.startswith("grpc")), self.ports[0])
        return self.ports[0]

    @property
    def selector(self) -> dict[str, str]:
        return selector(self.app, self.name)

    @property
    def labels(self) -> dict[str, str]:
        return {**self.selector, "app.kubernetes.io/component": self.component,
                "app.kubernetes.io/managed-by": "shipform", "app.kubernetes.io/version": self.version}

    @property
    def job(self) -> ToCompletion | None:
        """What one run does, for workloads that run to completion (a Job, or each run of a CronJob)."""
        if isinstance(self.run, Scheduled):
            return self.run.job
        return self.run if isinstance(self.run, ToCompletion) else None

    @property
    def published(self) -> bool:
        """Reached from outside the cluster (an Ingress or route, a node port, a load balancer): compose
        publishes its main port on 127.0.0.1."""
        return self.port is not None and (self.exposure is not None or self.access.type != "ClusterIP")

    @property
    def ephemeral_storage(self) -> Memory:
        assert self.resources is not None
        return ephemeral_need(self.resources.ephemeral_storage, len(self.writable_paths),
                              [v.source.size for v in self.volumes if isinstance(v.source, Scratch)])

    @property
    def every_secret_file(self) -> tuple[SecretFile, ...]:
        """The Secret keys any container of the workload mounts: its own and those of a second container."""
        after = self.job.after if self.job is not None else None
        return self.secret_files + (after.secret_files if after is not None else ())

    def env_for(self, platform: Platform) -> tuple[EnvVar, ...]:
        return tuple(v for v in self.env if platform in v.platforms)
