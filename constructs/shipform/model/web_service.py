"""WebService: a long-running process that serves a port, with everything it needs around it."""

from __future__ import annotations

from typing import Required, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.long_running import LongRunning, LongRunningProps
from shipform.model.migration import Migration
from shipform.values import checks
from shipform.values.health import Health
from shipform.values.prop_types import check_props


class WebServiceProps(LongRunningProps, total=False):
    port: Required[int]
    """The TCP port the process listens on (required)."""
    public: bool
    """Default: False. True adds an Ingress with TLS and admits the ingress controller."""
    host: str | None
    """Default: ``<id>.<environment domain>`` when public."""
    migrate: Migration | None
    """Default: None. A :class:`Migration` run to completion before this version serves."""


class WebService(LongRunning):
    """A service reached over a TCP port: Deployment, Service, ServiceAccount, NetworkPolicy, and when
    asked a PodDisruptionBudget, HorizontalPodAutoscaler, Ingress and a migration Job; a Dockerfile
    when built from source; a compose service in the local environment.

    Props: :class:`WebServiceProps` (``health`` defaults to ``Health.tcp()`` on the port).
    """

    component = "web-service"

    def __init__(self, scope: Construct, id: str, **props: Unpack[WebServiceProps]):
        check_props(child_path(scope, id), props, WebServiceProps)
        super().__init__(scope, id, props, props.get("health") or Health.tcp())
        self._port = checks.port(self.path, "port", props["port"])
        self.migrate = props.get("migrate")
        self.public = props.get("public", False)
        self.host = self._resolve_host(props.get("host"))
        self.add_deployment_objects()
        self.service = self.add_object("v1", "Service")
        self.ingress = self.add_object("networking.k8s.io/v1", "Ingress") if self.public else None
        self.migration = self.migrate.attach(self) if self.migrate is not None else None

    @property
    def port(self) -> int:
        return self._port

    def ports(self) -> tuple[spec.Port, ...]:
        return (spec.Port("http", self.port),)

    def client_env(self) -> list[spec.EnvVar]:
        prefix = self.name.upper().replace("-", "_")
        host = spec.ServiceHost(self.name, self.namespace)
        return [spec.EnvVar(f"{prefix}_HOST", host),
                spec.EnvVar(f"{prefix}_PORT", spec.Plain(str(self.port))),
                spec.EnvVar(f"{prefix}_URL", spec.ConnectionUrl("http", "", host, self.port, ""))]

    def pre_start(self) -> tuple[str, ...] | None:
        if self.migrate is None or self.environment.gitops == "argocd":
            return None
        return tuple(self.migrate.command)

    def waits_for(self) -> tuple[str, ...]:
        return (self.migration.name,) if self.migration is not None else ()

    def exposure(self) -> spec.Exposure | None:
        if self.host is None:
            return None
        env = self.environment
        return spec.Exposure(host=self.host, tls_secret=f"{self.name}-tls", ingress_class=env.ingress_class,
                             controller_namespace=env.ingress_namespace, cluster_issuer=env.cluster_issuer)

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
