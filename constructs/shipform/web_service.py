"""WebService: a long-running process that serves a port, with everything it needs around it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs import Construct

from shipform import props
from shipform.errors import ShipformError
from shipform.health import Health
from shipform.long_running import LongRunning
from shipform.migration import Migration
from shipform.values import SecretRef


class WebService(LongRunning):
    """A service reached over a TCP port: Deployment, Service, ServiceAccount, NetworkPolicy, and when
    asked a PodDisruptionBudget, HorizontalPodAutoscaler, Ingress and a migration Job; a Dockerfile
    when built from source; a compose service in the local environment.

    Props beyond :class:`LongRunning` and :class:`Workload`:

    :param port: the TCP port the process listens on (required).
    :param health: Default: ``Health.tcp()`` on the port.
    :param public: Default: False. True adds an Ingress with TLS and admits the ingress controller.
    :param host: Default: ``<id>.<environment domain>`` when public.
    :param migrate: Default: None. A :class:`Migration` run to completion before this version serves.
    """

    component = "web-service"

    def __init__(self, scope: Construct, id: str, *, port: int, health: Health | None = None,
                 public: bool = False, host: str | None = None, connects_to: Sequence[WebService] = (),
                 migrate: Migration | None = None, **workload: Any):
        super().__init__(scope, id, health=health or Health.tcp(), connects_to=connects_to, **workload)
        self._port = props.port(self.path, "port", port)
        self.migrate = migrate
        self.public = bool(public)
        self.host = self._resolve_host(host)
        self.add_deployment_objects()
        self.service = self.add_object("v1", "Service", self._service)
        self.ingress = self.add_object("networking.k8s.io/v1", "Ingress", self._ingress) if self.public else None
        self.migration = migrate.attach(self) if migrate is not None else None

    @property
    def port(self) -> int:
        return self._port

    def container_ports(self) -> list[dict[str, Any]]:
        return [{"name": "http", "containerPort": self.port, "protocol": "TCP"}]

    def client_env(self, platform: str) -> dict[str, str | SecretRef]:
        prefix = self.name.upper().replace("-", "_")
        return {f"{prefix}_HOST": self.name, f"{prefix}_PORT": str(self.port),
                f"{prefix}_URL": f"http://{self.name}:{self.port}"}

    def init_containers(self) -> list[dict[str, Any]]:
        if self.migrate is None or self.environment.gitops != "flux":
            return []
        return [self.migrate.init_container(self)]

    def _resolve_host(self, host: str | None) -> str | None:
        if host is not None:
            if not self.public:
                raise ShipformError(self.path, "host", "is only used when public=True", host,
                                    "set public=True or drop host")
            return props.dns_name(self.path, "host", host)
        if not self.public:
            return None
        if self.environment.domain is None:
            raise ShipformError(self.path, "public", "needs a host name", None,
                                f"pass host='{self.name}.example.com' or give Environment "
                                f"'{self.environment.name}' a domain")
        return f"{self.name}.{self.environment.domain}"

    def _service(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "spec": {
            "type": "ClusterIP",
            "selector": self.selector,
            "ports": [{"name": "http", "port": self.port, "targetPort": "http", "protocol": "TCP"}],
        }}

    def _ingress(self) -> dict[str, Any]:
        annotations = {}
        if self.environment.cluster_issuer:
            annotations["cert-manager.io/cluster-issuer"] = self.environment.cluster_issuer
        meta = self.metadata(**({"annotations": annotations} if annotations else {}))
        backend = {"service": {"name": self.name, "port": {"name": "http"}}}
        return {"metadata": meta, "spec": {
            "ingressClassName": self.environment.ingress_class,
            "tls": [{"hosts": [self.host], "secretName": f"{self.name}-tls"}],
            "rules": [{"host": self.host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        }}
