"""Facets: what a workload may have besides its core (exposure, scraping, telemetry, a mesh, a scaler, a
progressive rollout, resource recommendations), each a value of its own, found by ``Workload.facet(<type>)``. The
categories: :class:`Scaling` (whatever owns the replica count) and :class:`Rollout` (whatever replaces the pods
instead of the Deployment's rolling update); a workload has at most one of each."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.alerting import Receivers
from shipform.spec.facet import Facet
from shipform.spec.network import Port
from shipform.values import reach_risks
from shipform.values.resources import Autoscale, ComputeResources
from shipform.values.rollout import Progressive, Rolling
from shipform.values.secret_ref import SecretRef


@dataclass(frozen=True)
class Exposure(Facet):
    """A public service: reachable from the ingress controller (or the Gateway's proxies), under ``host``, with
    TLS, published by ``provider``: an Ingress of class ``ingress_class``, or with ``gateway`` ('<namespace>/<name>')
    an HTTPRoute attached to that Gateway, which terminates TLS itself."""

    host: str
    tls_secret: str
    ingress_class: str
    controller_namespace: str
    cluster_issuer: str | None
    gateway: str | None = None
    controller_pods: tuple[tuple[str, str], ...] | None = None
    """Labels of the controller's pods, admitted alone; None admits its whole namespace."""
    provider: str = "ingress"
    """What publishes it: a provider of ``shipform.providers.exposure.EXPOSURES`` ('ingress', 'nginx',
    'gateway')."""


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
    receivers: Receivers | None = None
    """Who Alertmanager tells of the alerts (an AlertmanagerConfig per namespace); None: no routes."""


@dataclass(frozen=True)
class Telemetry(Facet):
    """Where the workload sends traces, metrics and logs over OTLP: an OpenTelemetry Collector in the cluster."""

    endpoint: str
    port: int
    protocol: str
    namespace: str
    pods: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scrape(Facet):
    """Prometheus scrapes the workload's Service on ``port`` at ``path`` every ``interval``."""

    port: Port
    path: str
    interval: str
    monitoring: Monitoring


@dataclass(frozen=True)
class Mesh(Facet):
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
class SidecarPort:
    """Where a mesh's sidecar serves its own metrics: the container, its port (name and number) and the path."""

    container: str
    name: str
    number: int
    path: str


@dataclass(frozen=True)
class ProxyMetrics(Facet):
    """Prometheus scrapes the sidecar of the workload's mesh (``kind``, its provider in
    ``shipform.providers.mesh.MESHES``) on ``port``, where the Environment has monitoring."""

    kind: str
    port: SidecarPort
    monitoring: Monitoring
    interval: str = "30s"


class Scaling(Facet):
    """The category of the facets whose scaler owns the replica count, from ``min`` to ``max``: the controller
    states none."""

    min: int
    max: int


@dataclass(frozen=True)
class Autoscaling(Scaling):
    """A HorizontalPodAutoscaler owns the replica count, by ``settings`` (its metrics and behaviour)."""

    min: int
    max: int
    settings: Autoscale


@dataclass(frozen=True)
class QueueScaling(Scaling):
    """KEDA owns the replica count, from ``min`` (0: none while the queue is empty) to ``max``, by a trigger of
    type ``trigger`` with ``metadata``; ``auth`` is each credential parameter with the Secret key it comes from."""

    trigger: str
    metadata: tuple[tuple[str, str], ...]
    auth: tuple[tuple[str, SecretRef], ...]
    min: int
    max: int

    def secret_refs(self) -> tuple[SecretRef, ...]:
        """What the TriggerAuthentication hands KEDA's operator."""
        return tuple(ref for _, ref in self.auth)


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
class ServerlessRun(Scaling):
    """A Knative Service: ``min`` to ``max`` pods by requests in flight (``concurrency`` per pod)."""

    min: int
    max: int
    concurrency: int
    timeout_seconds: int
    serving: KnativeServing
    shared_gateway: str | None = None
    """Why the app accepts that any pod reaching Knative's gateway or activator reaches this cluster-local service
    (values/reach_risks.py); None for a public one, which anyone reaches by design."""

    def shared_gateway_annotation(self) -> dict[str, str]:
        """The risk and its reason, where readers of the Knative Service and its NetworkPolicy see it."""
        if self.shared_gateway is None:
            return {}
        statement = reach_risks.knative_shared_gateway(self.serving.gateway_namespace, self.serving.namespace,
                                                       self.shared_gateway)
        return {reach_risks.KNATIVE_SHARED_GATEWAY_ANNOTATION: statement}


class Rollout(Facet):
    """The category of the facets that replace the pods otherwise than the Deployment's rolling update."""

    def surge_pods(self, rolling: Rolling, max_replicas: int) -> int:
        """Pods the rollout runs beyond ``max_replicas`` (``rolling``: the workload's own rolling update)."""
        raise NotImplementedError


@dataclass(frozen=True)
class CanarySplit(Rollout):
    """Two Deployments behind a weighted router: the running version (``stable_image``) in ``<name>``, the new one
    (the workload's image) in ``<name>-canary`` with ``replicas`` pods and ``weight`` percent of the public
    traffic, split by the workload's exposure provider (ingress-nginx's canary Ingress, a Gateway's HTTPRoute)."""

    weight: int
    stable_image: str
    replicas: int

    def surge_pods(self, rolling: Rolling, max_replicas: int) -> int:
        """The canary's pods, and a surge pod for its own rollout, besides the stable Deployment's surge."""
        return rolling.surge_pods(max_replicas) + self.replicas + 1


@dataclass(frozen=True)
class ArgoRollout(Rollout):
    """Argo Rollouts replaces the pods by ``strategy``: a Rollout instead of a Deployment. A canary's share of the
    traffic is set by the workload's exposure where its provider can (ingress-nginx's canary Ingress: exact
    weights), else by its share of the pods."""

    strategy: Progressive
    prometheus: str | None = None
    """Prometheus' address, where the strategy has an analysis."""
    second_service: str | None = None
    """The Service the new version is reached by before it takes over: a blue-green's preview, or a canary's
    behind ingress-nginx (its canary Ingress points there)."""

    def surge_pods(self, rolling: Rolling, max_replicas: int) -> int:
        return self.strategy.surge_pods(max_replicas)


@dataclass(frozen=True)
class ResourceRecommendation(Facet):
    """A VerticalPodAutoscaler recommends requests, changing nothing itself."""


@dataclass(frozen=True)
class CloudIdentity(Facet):
    """The workload reaches a cloud's API as an identity of that cloud (workload identity: IRSA, GKE, Azure), not
    with long-lived keys: what its ServiceAccount and its pods carry for the cloud's webhook or metadata server."""

    service_account_annotations: tuple[tuple[str, str], ...]
    pod_annotations: tuple[tuple[str, str], ...] = ()
    pod_labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServerCertificate(Facet):
    """A database's certificate, issued by cert-manager: a Certificate that writes ``secret`` (tls.crt, tls.key,
    ca.crt) in the database's namespace, for ``dns_names`` (every name its clients reach it by), signed by the
    issuer ``issuer`` (kind, name, API group)."""

    secret: str
    dns_names: tuple[str, ...]
    issuer: tuple[str, str, str]


@dataclass(frozen=True)
class PlainText(Facet):
    """A server that speaks plain text where shipform would have it speak TLS, and the Environment's reason; written
    on its controller (``shipform.dev/plain-text-reason``), where a reader of the manifests finds it."""

    reason: str


@dataclass(frozen=True)
class ApiReader(Facet):
    """Pods that read the Kubernetes API (a log shipper's pod metadata): a ClusterRole ``role`` granting get, list
    and watch on ``resources`` of the core group alone, bound to the workload's ServiceAccount; a short-lived token
    projected read-only at the standard path (``automountServiceAccountToken`` stays false); and egress to the API
    server's ``cidrs`` on ``port`` (its endpoints' addresses and port, which NetworkPolicy sees after the Service's
    translation)."""

    role: str
    resources: tuple[str, ...]
    cidrs: tuple[str, ...]
    port: int
