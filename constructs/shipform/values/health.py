"""One health spec, rendered as Kubernetes probes, a compose healthcheck and a Dockerfile HEALTHCHECK."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

PROBE_PATH = "/usr/local/bin/healthcheck"
"""Where presets install the generated probe program; it needs no curl, wget or shell."""

HealthKind = Literal["http", "tcp", "grpc", "exec", "none"]
# RFC 3986 path and query characters; quotes, backslashes, spaces and controls would reach probe programs.
_GRPC_SERVICE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,254}")
_URL_PATH = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2}){0,1024}")


@value_object
@dataclass(frozen=True)
class Health:
    """How to tell that a process is alive and ready.

    Build one with :meth:`http`, :meth:`tcp` or :meth:`exec`; the same spec becomes the
    startup/readiness/liveness probes, the compose ``healthcheck`` and the image ``HEALTHCHECK``.
    """

    kind: HealthKind
    """'http', 'tcp', 'grpc', 'exec' or 'none': set by the constructor used."""
    path: str = "/healthz"
    """Default: '/healthz'. The path of an HTTP check."""
    command: tuple[str, ...] = ()
    """The command of an exec check (exec form, run inside the container)."""
    port: str | None = None
    """Default: None (the main port; for gRPC the first port named grpc*). The name of the port to check."""
    host: str | None = None
    """Default: None. The Host header of the HTTP check, for frameworks that refuse unknown hosts (Django's
    ALLOWED_HOSTS)."""
    service: str = ""
    """Default: '' (the server as a whole). The service name a gRPC health check asks about."""
    period_seconds: int = 10
    """Default: 10. Seconds between checks."""
    timeout_seconds: int = 3
    """Default: 3. Seconds one check may take."""
    failure_threshold: int = 3
    """Default: 3. Failed checks in a row before the process counts as unhealthy."""
    start_period_seconds: int = 60
    """Default: 60. Start-up budget before failures count (startupProbe, start_period)."""
    reason: str = ""
    """Why a process has no health check (``Health.none``); scanners that want probes are told this reason."""
    prop_example: ClassVar[str] = "Health.http('/healthz')"

    @classmethod
    def http(cls, path: str = "/healthz", *, port: str | None = None, host: str | None = None,
             **timings: int) -> Health:
        """Healthy when GET ``path`` on the service port answers below 400. Default path: '/healthz'.
        ``port`` names another port of the service; ``host`` sets the request's Host header."""
        return cls("http", path=path, port=port, host=host, **timings)  # type: ignore[arg-type]

    @classmethod
    def tcp(cls, *, port: str | None = None, **timings: int) -> Health:
        """Healthy when the service port (or the port named ``port``) accepts a TCP connection."""
        return cls("tcp", port=port, **timings)  # type: ignore[arg-type]

    @classmethod
    def grpc(cls, service: str = "", *, port: str | None = None, **timings: int) -> Health:
        """Healthy when the gRPC Health Checking Protocol answers SERVING: Kubernetes' own gRPC probe, on the
        first port named grpc* (or ``port``). compose and the image HEALTHCHECK, which have no gRPC client,
        check that this port accepts a connection."""
        return cls("grpc", service=service, port=port, **timings)  # type: ignore[arg-type]

    @classmethod
    def exec(cls, command: list[str], **timings: int) -> Health:
        """Healthy when ``command`` (exec form, run inside the container) exits 0."""
        given: tuple[str, ...] = tuple(command) if isinstance(command, list | tuple) else command
        return cls("exec", command=given, **timings)  # type: ignore[arg-type]

    @classmethod
    def none(cls, reason: str) -> Health:
        """No health check at all, stated with ``reason``: Kubernetes restarts the process only when it exits.
        The reason is written where scanners that want probes read accepted risks (checkov CKV_K8S_8/9)."""
        return cls("none", reason=reason)

    def validate(self, path: str) -> None:
        check_fields(path, "health", self)
        if self.kind == "none" and len(self.reason.strip()) < 10:
            raise ShipformError(path, "health.reason", "must say why the process has no health check", self.reason,
                                "write e.g. Health.none('exits on a broken queue connection; restarts cover it')")
        if self.kind == "http" and not checks.matches(_URL_PATH, self.path):
            raise ShipformError(path, "health.path", "must be a URL path: '/' then letters, digits and "
                                "-._~!$&'()*+,;=:@/?% (percent-encode anything else)", self.path,
                                "write e.g. Health.http('/healthz')")
        if self.kind == "exec":
            checks.command(path, "health", list(self.command))
        if self.host is not None:
            checks.dns_name(path, "health.host", self.host)
        if self.service and not checks.matches(_GRPC_SERVICE, self.service):
            raise ShipformError(path, "health.service", "must be a gRPC service name (letters, digits, '.' and '_')",
                                self.service, "write e.g. Health.grpc('shop.Catalog') or Health.grpc()")
        for name in ("period_seconds", "timeout_seconds", "failure_threshold", "start_period_seconds"):
            checks.positive_int(path, f"health.{name}", getattr(self, name))
        if self.timeout_seconds >= self.period_seconds:
            raise ShipformError(path, "health.timeout_seconds", "must be shorter than period_seconds",
                                self.timeout_seconds, "lower the timeout or raise the period")

    def probe_target(self, port: int | None) -> tuple[str, int, str, str | None, int] | None:
        """What the generated probe program checks on ``port`` (the health port's number), as (kind, port, path,
        host, timeout): an image's HEALTHCHECK checks exactly this for every workload that runs the image. None
        without a probe program (exec, or no port)."""
        if self.kind == "exec" or port is None:
            return None
        # No gRPC client in the image: the image and compose check that the gRPC port accepts connections.
        kind = "tcp" if self.kind == "grpc" else self.kind
        return kind, port, self.path, self.host, self.timeout_seconds

    def exec_test(self) -> list[str]:
        """The command a container runtime runs to check health (exec form)."""
        return list(self.command) if self.kind == "exec" else [PROBE_PATH]

    def startup_failures(self) -> int:
        return max(1, -(-self.start_period_seconds // 5))
