"""WebService: a long-running process that serves a port, with everything it needs around it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.client_address import address_env
from shipform.model.knative import Serverless
from shipform.model.long_running import LongRunning, LongRunningProps
from shipform.model.migration import Migration
from shipform.model.observability import Metrics
from shipform.model.slo import Slo
from shipform.model.subscriptions import On, subscription
from shipform.model.workload import Workload
from shipform.providers.exposure import exposure_for
from shipform.providers.exposure.protocol import ExposureProvider
from shipform.providers.gitops import GITOPS
from shipform.providers.mesh import MESHES
from shipform.values import checks, reach_risks
from shipform.values.health import Health
from shipform.values.prop_types import check_props
from shipform.values.rollout import BlueGreen


class WebServiceProps(LongRunningProps, total=False):
    port: int
    """The TCP port the process listens on (required), unless ``ports`` names several instead."""
    ports: Mapping[str, int]
    """Several named TCP ports (required) instead of ``port``: ``{"http": 8000, "metrics": 9090, "grpc": 50051}``;
    the first is the main one (probes, Ingress, ``<NAME>_PORT``). A name starting with http, https, grpc, h2c,
    ws or wss (or 'metrics', which Prometheus scrapes over HTTP) sets the Service port's appProtocol."""
    public: bool
    """Default: False. True adds an Ingress with TLS and admits the ingress controller."""
    host: str | None
    """Default: ``<id>.<environment domain>`` when public."""
    expose: Expose
    """Default: 'cluster' (a ClusterIP Service). 'node-port' or 'load-balancer' reach the Service from outside
    the cluster without an Ingress (plain TCP, gRPC), keeping the client's address (externalTrafficPolicy
    Local); the namespace's quota must allow them (Quota(node_ports=, load_balancers=))."""
    source_ranges: Sequence[str]
    """Default: [] (anywhere). With 'node-port' or 'load-balancer': the only client address ranges admitted
    (loadBalancerSourceRanges and the NetworkPolicy)."""
    migrate: Migration | None
    """Default: None. A :class:`Migration` run to completion before this version serves."""
    serverless: Serverless | None
    """Default: None. :class:`Serverless`: a Knative Service instead of a Deployment and Service (the Environment
    needs ``knative=KnativeServing()``): no pod while no request comes, then as many as the requests in flight
    ask for. Clients reach it through Knative's gateway; it admits the gateway, the activator and the autoscaler.
    Unless public, it needs ``accepted_risks={"knativeSharedGateway": "<why>"}``: the gateway and the activator
    serve every Knative service of the cluster, so any pod that reaches them reaches it."""
    metrics: Metrics | None
    """Default: None. :class:`Metrics`: Prometheus scrapes the named port (a ServiceMonitor, and the NetworkPolicy
    admits Prometheus' pods on that port alone), where the Environment has ``monitoring=``."""
    slo: Slo | None
    """Default: None. :class:`Slo`: a public service's availability and latency objectives, alerted on by their
    error budget's burn rate (recording rules and alerts in the namespace's PrometheusRule), measured by the ingress
    controller that publishes it (ingress-nginx) or the mesh its namespace is in (Istio). Needs the Environment's
    ``monitoring=``; a local Environment without it renders none."""
    events: Sequence[On]
    """Default: []. Knative Eventing events it receives, ``[On(broker, type='order.created'), On(nightly)]``: a
    Trigger each (one per topic of a KafkaSource), ``<id>-<n>`` in the Broker's namespace (the service's own), whose
    subscriber is the Knative Service (serverless) or the main port of the Service; a service that is not serverless
    admits the Broker's filter pods on that port. A local run receives none (compose says so in a label)."""


Expose = Literal["cluster", "node-port", "load-balancer"]
_SERVICE_TYPES: dict[str, spec.ServiceType] = {"cluster": "ClusterIP", "node-port": "NodePort",
                                               "load-balancer": "LoadBalancer"}

# appProtocol by the port's name: IANA service names, and Kubernetes' own for HTTP/2 cleartext and WebSockets.
_APP_PROTOCOLS = (("https", "https"), ("http", "http"), ("metrics", "http"), ("grpc", "grpc"),
                  ("h2c", "kubernetes.io/h2c"), ("wss", "kubernetes.io/wss"), ("ws", "kubernetes.io/ws"))


def app_protocol(name: str) -> str | None:
    return next((protocol for prefix, protocol in _APP_PROTOCOLS if name.startswith(prefix)), None)


class WebService(LongRunning):
    """A service reached over a TCP port: Deployment, Service, ServiceAccount, NetworkPolicy, and when
    asked a PodDisruptionBudget, HorizontalPodAutoscaler, Ingress and a migration Job; a Dockerfile
    when built from source; a compose service in the local environment.

    Props: :class:`WebServiceProps` (``health`` defaults to ``Health.tcp()`` on the port).
    """

    component = "web-service"
    name_limit = 55  # its migration Job '<name>-migrate' must stay within a Job's 63 characters

    def __init__(self, scope: Construct, id: str, **props: Unpack[WebServiceProps]):
        check_props(child_path(scope, id), props, WebServiceProps)
        super().__init__(scope, id, props, props.get("health") or Health.tcp())
        self._ports = self._validate_ports(props.get("port"), props.get("ports"))
        self.named_ports = "ports" in props
        """Declared with ``ports=``: clients are also told each port they use by its name."""
        self.migrate = props.get("migrate")
        self.public = props.get("public", False)
        self.host = self._resolve_host(props.get("host"))
        self.access = self._validate_access(props.get("expose", "cluster"), props.get("source_ranges") or ())
        self.serverless = props.get("serverless")
        if self.serverless is not None:
            self._check_serverless(self.serverless, props)
        self.add_deployment_objects()
        self.service = self.handle("service")
        self.second_service = self.handle("second-service")
        """The preview Service of a blue-green, or the canary Service of a canary behind ingress-nginx."""
        self.ingress = self.handle("ingress")
        self.route = self.handle("route")
        """The HTTPRoute of a public service where the Environment has a gateway= (instead of an Ingress)."""
        self.domain_mapping = self.handle("domain-mapping")
        self.migration = self.migrate.attach(self) if self.migrate is not None else None
        if self.routed is not None:
            self._check_router()
            self.routed.stable_image(self.path, self.image)  # a tag it can replace, and not the new version
        self.canary_objects = [self.handle(f"canary-{role}") for role in (
            "service-account", "network-policy", "controller", "service", "ingress")]
        """Handles on a RoutedCanary's objects: ServiceAccount, NetworkPolicy, Deployment, Service and, behind
        ingress-nginx, the canary Ingress."""
        self.metrics = props.get("metrics")
        if self.metrics is not None:
            self.metrics.validate(self.path)
        self.service_monitor = self.handle("service-monitor")
        self.slo = props.get("slo")
        self.events = list(props.get("events") or ())
        self.subscription = subscription(self.path, self.name, self.namespace, self.events, self.environment)

    def second_service_name(self) -> str | None:
        if isinstance(self.progressive, BlueGreen):
            return f"{self.name}-preview"
        return f"{self.name}-canary" if self.progressive is not None and self.traffic_routed() else None

    def _check_serverless(self, serverless: Serverless, props: WebServiceProps) -> None:
        serverless.validate(self.path)
        env = self.environment
        if env.knative is None:
            raise ShipformError(self.path, "serverless", f"needs Knative Serving, and Environment '{env.name}' has "
                                "no knative=", serverless, f"pass knative=KnativeServing() to Environment '{env.name}' "
                                "(and install Knative there), or drop serverless")
        # What a Knative Service cannot hold, or holds differently (each with what to do instead).
        refused = [("ports", len(self._ports) > 1, "Knative routes one port: declare port= alone"),
                   ("autoscale", self.autoscale is not None, "Knative scales it: drop autoscale"),
                   ("strategy", props.get("strategy") is not None,
                    "Knative rolls out a new revision itself: drop strategy"),
                   ("volumes", bool(self.claims), "keep state in a StatefulDB, or drop serverless"),
                   ("expose", self.access.type != "ClusterIP", "Knative publishes it through its gateway"),
                   ("metrics", props.get("metrics") is not None, "Knative exports request metrics itself"),
                   ("recommend_resources", self.recommend_resources, "drop recommend_resources"),
                   ("migrate", self.migrate is not None and not GITOPS[env.gitops].hooks,
                    "a migration before start needs an init container, which Knative does not allow: use Argo CD "
                    "(a Sync hook Job)")]
        for prop, bad, fix in refused:
            if bad:
                raise ShipformError(self.path, prop, "does not go with serverless=", props.get(prop), fix)
        if env.mesh_of(self.namespace) is not None:
            raise ShipformError(self.path, "serverless", "is in a mesh-enrolled namespace, which shipform does not "
                                "wire for Knative", serverless, "put serverless services in a namespace outside "
                                "the mesh")
        if not self.public and self._shared_gateway_reason() is None:
            raise ShipformError(self.path, "serverless", "is cluster-local, and Knative's gateway routes by Host "
                                "header to every cluster-local Knative service of every namespace (its activator "
                                "by revision header): any pod that reaches either reaches it, not only its declared "
                                "clients", serverless, f"pass accepted_risks={{'{reach_risks.KNATIVE_SHARED_GATEWAY}': "
                                "'<why any pod of the cluster may call it>'}, or make it public=True, or drop "
                                "serverless (an ordinary Deployment admits its declared clients alone)")

    def _shared_gateway_reason(self) -> str | None:
        """The reason this service accepts that Knative's shared gateway lets any pod reach it, if stated."""
        return next((r.reason for r in self.stated_risks if r.check == reach_risks.KNATIVE_SHARED_GATEWAY), None)

    def exposure_provider(self) -> ExposureProvider:
        """What publishes the service when public: the Environment's gateway, or its ingress class's provider."""
        return exposure_for(self.environment.ingress_class, self.environment.gateway)

    def _check_router(self) -> None:
        env = self.environment
        if not self.public or not self.exposure_provider().splits_traffic:
            raise ShipformError(self.path, "strategy", "is a RoutedCanary, which needs a router to split the public "
                                "traffic by weight: a public service behind ingress-nginx or a Gateway",
                                {"public": self.public, "ingress_class": env.ingress_class, "gateway": env.gateway},
                                "pass public=True with Environment(ingress_class='nginx') or gateway=..., or use "
                                "Canary(...) with Environment(rollouts='argo')")

    def serverless_run(self) -> spec.ServerlessRun | None:
        if self.serverless is None:
            return None
        assert self.environment.knative is not None
        s = self.serverless
        return spec.ServerlessRun(s.min, s.max, s.concurrency, s.timeout_seconds, self.environment.knative,
                                  None if self.public else self._shared_gateway_reason())

    def endpoint(self, ports: tuple[spec.Port, ...] = ()) -> spec.Endpoint:
        """A Knative service is reached through Knative's gateway, never its pods directly."""
        peer = super().endpoint(ports)
        knative = self.environment.knative
        if self.serverless is None or knative is None:
            return peer
        gateway = spec.PlatformPeer(knative.gateway_namespace, knative.gateway_pods,
                                    (spec.Port("gateway", knative.gateway_port),))
        return replace(peer, through=gateway)

    def canary_split(self) -> spec.CanarySplit | None:
        if self.routed is None:
            return None
        stable = self.routed.stable_image(self.path, self.image)
        return spec.CanarySplit(self.routed.weight, stable, self.routed.replicas)

    def traffic_routed(self) -> bool:
        return self.public and self.exposure_provider().argo_traffic_routing(self.name) is not None

    @property
    def port(self) -> int:
        return self._ports[0].number

    def ports(self) -> tuple[spec.Port, ...]:
        return self._ports

    def _validate_ports(self, port: int | None, ports: Mapping[str, int] | None) -> tuple[spec.Port, ...]:
        if (port is None) == (ports is None):
            raise ShipformError(self.path, "port/ports", "exactly one of port and ports must be given",
                                {"port": port, "ports": ports}, "pass port=8000, or ports={'http': 8000, "
                                "'metrics': 9090}")
        if ports is None:
            return (spec.Port("http", checks.port(self.path, "port", port)),)
        if not ports:
            raise ShipformError(self.path, "ports", "must name at least one port", ports, "pass ports={'http': 8000}")
        seen: dict[int, str] = {}
        result = []
        for name, number in ports.items():
            checks.port_name(self.path, "ports", name)
            checks.port(self.path, f"ports.{name}", number)
            if number in seen:
                raise ShipformError(self.path, f"ports.{name}", f"is the same port as '{seen[number]}'", number,
                                    "give each name its own port number")
            seen[number] = name
            result.append(spec.Port(name, number, app_protocol(name)))
        return tuple(result)

    def client_env(self, ports: tuple[spec.Port, ...] = ()) -> list[spec.EnvVar]:
        """``<NAME>_HOST``, and ``_PORT`` and the address of the first port the client uses (the main one unless
        it named others): ``_URL`` with the scheme of the port's protocol, ``_TARGET`` for gRPC, none for a port
        of a protocol shipform does not know (model/client_address.py); with ``ports=``, also
        ``<NAME>_<PORT NAME>_PORT`` for each port it uses."""
        prefix = self.name.upper().replace("-", "_")
        host = spec.ServiceHost(self.name, self.namespace)
        first = (ports or self._ports)[0]
        if self.serverless is not None:  # clients call Knative's gateway, on its port, in Kubernetes
            return self._serverless_client_env(prefix, host, first)
        env = [spec.EnvVar(f"{prefix}_HOST", host), spec.EnvVar(f"{prefix}_PORT", spec.Plain(str(first.number))),
               *address_env(prefix, app_protocol(first.name), host, first.number)]
        if self.named_ports:
            env += [spec.EnvVar(f"{prefix}_{p.name.upper().replace('-', '_')}_PORT", spec.Plain(str(p.number)))
                    for p in ports]
        return env

    def _serverless_client_env(self, prefix: str, host: spec.ServiceHost, port: spec.Port) -> list[spec.EnvVar]:
        """The port differs by platform: Knative's gateway (80) in Kubernetes, the process's own in compose."""
        gateway = spec.KnativeServing.CLIENT_PORT
        return [spec.EnvVar(f"{prefix}_HOST", host),
                spec.EnvVar(f"{prefix}_PORT", spec.ServicePort(port.number, gateway)),
                *address_env(prefix, app_protocol(port.name), host, port.number, cluster_port=gateway)]

    def service_access(self) -> spec.ServiceAccess:
        return self.access

    def _validate_access(self, expose: Expose, ranges: Sequence[str]) -> spec.ServiceAccess:
        kind = _SERVICE_TYPES[expose]
        if ranges and kind == "ClusterIP":
            raise ShipformError(self.path, "source_ranges", "only applies with expose='node-port' or "
                                "'load-balancer'", list(ranges), "drop source_ranges, or expose the service")
        checked = (str(checks.cidr(self.path, f"source_ranges[{i}]", c, "'203.0.113.0/24'")) for i, c in
                   enumerate(ranges))
        return spec.ServiceAccess(kind, tuple(checked))

    def pre_start(self) -> tuple[str, ...] | None:
        if self.migrate is None or GITOPS[self.environment.gitops].hooks:
            return None
        return tuple(self.migrate.command)

    def to_spec(self, clients: Sequence[Workload] | None = None) -> spec.Workload:
        """The spec, with what a migration that every pod runs first reaches (its databases, from the
        configuration the spec has read)."""
        w = super().to_spec(clients)
        if self.migrate is None or not isinstance(w.run, spec.Continuous) or w.run.pre_start is None:
            return w
        return replace(w, run=replace(w.run, pre_start=self.migrate.pre_start(self, w.config)))

    def waits_for(self) -> tuple[str, ...]:
        return (self.migration.name,) if self.migration is not None else ()

    def exposure(self) -> spec.Exposure | None:
        if self.host is None:
            return None
        env = self.environment
        return spec.Exposure(host=self.host, tls_secret=f"{self.name}-tls", ingress_class=env.ingress_class,
                             controller_namespace=env.ingress_namespace, cluster_issuer=env.cluster_issuer,
                             gateway=env.gateway, controller_pods=env.ingress_pods,
                             provider=self.exposure_provider().name)

    def scrape(self) -> spec.Scrape | None:
        monitoring = self.environment.monitoring
        if self.metrics is None or monitoring is None:
            return None
        return self.metrics.to_spec(self.path, self.ports(), monitoring)

    def run_facets(self) -> tuple[spec.Facet, ...]:
        level = self.service_level()
        own = tuple(f for f in (level, self.subscription) if f is not None)
        return (*super().run_facets(), *own)

    def service_level(self) -> spec.ServiceLevel | None:
        """The objectives of ``slo``, measured where the service's requests are counted; None without ``slo``, or in
        a local Environment without monitoring (nothing there would alert)."""
        env = self.environment
        if self.slo is None or (env.monitoring is None and env.local):
            return None
        if not self.public or self.serverless is not None:
            raise ShipformError(self.path, "slo", "needs a public service that is not serverless: its requests are "
                                "measured where they enter the cluster", self.slo,
                                "set public=True (without serverless=), or drop slo")
        if env.monitoring is None:
            raise ShipformError(self.path, "slo", f"needs Prometheus, and Environment '{env.name}' has no "
                                "monitoring=", self.slo, f"pass monitoring=Monitoring() to Environment '{env.name}', "
                                "or drop slo there")
        return self.slo.to_spec(self.path, self._request_metrics())

    def _request_metrics(self) -> spec.RequestMetrics:
        """Where the requests are counted: by the controller that publishes the service, else by the mesh."""
        assert self.host is not None
        exposure = self.exposure_provider()
        found = exposure.request_metrics(self.name, self.namespace, self.host)
        mesh = self.environment.mesh_of(self.namespace)
        if found is None and mesh is not None:
            found = MESHES[mesh.kind].request_metrics(self.name, self.namespace)
        if found is None:
            raise ShipformError(self.path, "slo", f"has no request metrics to measure: '{exposure.name}' publishes the "
                                "service and shipform knows no metrics it counts requests by, and "
                                + ("the namespace is in no mesh" if mesh is None else f"the {mesh.kind} mesh neither"),
                                self.slo, "publish it through ingress-nginx (Environment(ingress_class='nginx')) or "
                                "enroll its namespace in the Istio mesh (SecureNamespace(mesh='istio')), or drop slo")
        return found

    def validate(self) -> list[ShipformError]:
        errors = super().validate() + (self.migrate.problems(self) if self.migrate is not None else [])
        try:
            self.service_level()
        except ShipformError as err:
            errors.append(err)
        if self.metrics is not None:  # the port must be declared, whether this Environment is monitored or not
            try:
                self.metrics.port_of(self.path, self.ports())
            except ShipformError as err:
                errors.append(err)
            else:
                errors += self._metrics_in_mesh(self.metrics)
        return errors

    def _metrics_in_mesh(self, metrics: Metrics) -> list[ShipformError]:
        """Scraped in a mesh: the metrics port must be one no client calls (the main port is every client's)."""
        mesh = self.environment.mesh_of(self.namespace)
        if mesh is None or self.scrape() is None:
            return []
        called = {p.name for p in self.ports()[:1]} | {
            p.name for c in self.environment.workloads if isinstance(c, Workload) and self in c.targets()
            for p in c.ports_used_on(self)}
        error = metrics.mesh_error(self.path, self.ports(), called, mesh.kind)
        return [error] if error is not None else []

    def tls_secrets(self) -> set[str]:
        """A public service's Ingress names its certificate's Secret; behind a Gateway, TLS ends at the Gateway,
        in its own namespace, and Knative's gateway holds a serverless one's."""
        holds = self.public and self.serverless is None and self.exposure_provider().holds_certificate
        return {f"{self.name}-tls"} if holds else set()

    def _resolve_host(self, host: str | None) -> str | None:
        if host is not None:
            if not self.public:
                raise ShipformError(self.path, "host", "is only used when public=True", host,
                                    "set public=True or drop host")
            return checks.dns_name(self.path, "host", host)
        if not self.public:
            return None
        if self.environment.domain is None:
            raise ShipformError(self.path, "public", "needs a host name", None,
                                f"pass host='{self.name}.example.com' or give Environment "
                                f"'{self.environment.name}' a domain")
        return f"{self.name}.{self.environment.domain}"
