"""Observability: ``Environment(monitoring=Monitoring())`` says Prometheus runs in the cluster (prometheus-operator);
``WebService(metrics=Metrics())`` has it scrape the service (a ServiceMonitor, and the NetworkPolicy admitting
Prometheus on that port alone); every namespace of such an Environment gets default alerts.
``Environment(telemetry=Telemetry())`` wires the app's workloads to an OpenTelemetry Collector."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.alerting import Receivers
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

_DURATION = re.compile(r"[1-9][0-9]*(ms|s|m|h)")
_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_HTTP_ADDRESS = re.compile(r"https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[0-9]{1,5}")


_PROMETHEUS_DURATION = re.compile(r"[1-9][0-9]*(s|m|h|d)")


@value_object
@dataclass(frozen=True)
class Alerts:
    """When the default alerts fire.

    :param crash_loop_for: Default: '5m'. How long a pod restarting over 3 times in 15 minutes goes on first.
    :param not_ready_for: Default: '15m'. How long a pod may stay not ready.
    :param at_maximum_for: Default: '15m'. How long an autoscaler may run at its maximum replicas.
    :param volume_full_percent: Default: 85. How full a volume may get.
    :param job_missed_hours: Default: 48. How long a CronJob may go without a success.
    """

    crash_loop_for: str = "5m"
    not_ready_for: str = "15m"
    at_maximum_for: str = "15m"
    volume_full_percent: int = 85
    job_missed_hours: int = 48
    prop_example: ClassVar[str] = "Alerts(not_ready_for='15m', volume_full_percent=85)"

    def to_spec(self, path: str) -> spec.AlertSettings:
        check_fields(path, "monitoring.alerts", self)
        for prop in ("crash_loop_for", "not_ready_for", "at_maximum_for"):
            if not checks.matches(_PROMETHEUS_DURATION, getattr(self, prop)):
                raise ShipformError(path, f"monitoring.alerts.{prop}", "must be a Prometheus duration of s, m, h or d",
                                    getattr(self, prop), "write e.g. '15m'")
        if not 1 <= self.volume_full_percent <= 99:
            raise ShipformError(path, "monitoring.alerts.volume_full_percent", "must be 1-99",
                                self.volume_full_percent, "write e.g. 85")
        checks.positive_int(path, "monitoring.alerts.job_missed_hours", self.job_missed_hours, maximum=24 * 366)
        return spec.AlertSettings(self.crash_loop_for, self.not_ready_for, self.at_maximum_for,
                                  self.volume_full_percent, self.job_missed_hours)


@value_object
@dataclass(frozen=True)
class Monitoring:
    """prometheus-operator in the cluster (kube-prometheus-stack's defaults).

    :param namespace: Default: 'monitoring'. Where Prometheus runs.
    :param pods: Default: ``{"app.kubernetes.io/name": "prometheus"}``. The labels of Prometheus' pods: only
        they are admitted to scrape.
    :param labels: Default: {}. Labels the operator's selectors want on ServiceMonitors and PrometheusRules,
        e.g. ``{"release": "kube-prometheus-stack"}`` for the Helm chart's defaults.
    :param address: Default: ``http://prometheus-operated.<namespace>.svc:9090`` (the operator's Service for its
        Prometheus pods). Prometheus' HTTP API, which rollout analyses query.
    :param alerts: Default: ``Alerts()``. When the default alerts fire (:class:`Alerts`).
    :param receivers: Default: None (the alerts reach Alertmanager, which routes them as the cluster's own
        configuration says). :class:`Receivers`: who is told, by severity (an AlertmanagerConfig per namespace).
    """

    namespace: str = "monitoring"
    pods: Mapping[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "prometheus"})
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str | None = None
    alerts: Alerts = field(default_factory=Alerts)
    receivers: Receivers | None = None
    prop_example: ClassVar[str] = "Monitoring(namespace='monitoring', labels={'release': 'kube-prometheus-stack'})"

    def to_spec(self, path: str) -> spec.Monitoring:
        check_fields(path, "monitoring", self)
        checks.dns_label(path, "monitoring.namespace", self.namespace)
        pods = checks.pod_labels(path, "monitoring.pods", self.pods, "{'app.kubernetes.io/name': 'prometheus'}",
                                 " (at least one)")
        labels = checks.pod_labels(path, "monitoring.labels", self.labels, "{'release': 'kube-prometheus-stack'}") \
            if self.labels else ()
        address = self.address or f"http://prometheus-operated.{self.namespace}.svc:9090"
        if not checks.matches(_HTTP_ADDRESS, address):
            raise ShipformError(path, "monitoring.address", "must be http(s)://<host>:<port>", address,
                                "write e.g. 'http://prometheus-operated.monitoring.svc:9090'")
        receivers = self.receivers.to_spec(path) if self.receivers is not None else None
        return spec.Monitoring(self.namespace, pods, labels, address, self.alerts.to_spec(path), receivers)


@value_object
@dataclass(frozen=True)
class Metrics:
    """Prometheus scrapes the workload: a WebService on one of its ports (``ports={"http": 8000, "metrics": 9090}``,
    through a ServiceMonitor), a Worker on the port number its process serves metrics on (``Metrics(port=9090)``,
    through a PodMonitor: it has no Service).

    :param port: Default: 'metrics'. A WebService's port, by name or number; a Worker's port number.
    :param path: Default: '/metrics'.
    :param interval: Default: '30s'. A Prometheus duration ('15s', '1m').
    """

    port: str | int = "metrics"
    path: str = "/metrics"
    interval: str = "30s"
    prop_example: ClassVar[str] = "Metrics(port='metrics', path='/metrics')"

    def validate(self, path: str) -> None:
        check_fields(path, "metrics", self)
        if not checks.matches(_PATH, self.path):
            raise ShipformError(path, "metrics.path", "must be an absolute URL path", self.path,
                                "write e.g. '/metrics'")
        if not checks.matches(_DURATION, self.interval):
            raise ShipformError(path, "metrics.interval", "must be a Prometheus duration of ms, s, m or h",
                                self.interval, "write e.g. '30s' or '1m'")

    def port_of(self, path: str, ports: tuple[spec.Port, ...]) -> spec.Port:
        """The service's port this names; a ShipformError when it names none."""
        port = next((p for p in ports if self.port in (p.name, p.number)), None)
        if port is None:
            names = ", ".join(p.name for p in ports)
            raise ShipformError(path, "metrics.port", f"names no port of the service (it has {names})", self.port,
                                f"declare it, e.g. ports={{'http': 8000, '{self.port}': 9090}}, or name one of "
                                f"{names}")
        return port

    def to_spec(self, path: str, ports: tuple[spec.Port, ...], monitoring: spec.Monitoring) -> spec.Scrape:
        return spec.Scrape(self.port_of(path, ports), self.path, self.interval, monitoring)

    def mesh_error(self, path: str, ports: tuple[spec.Port, ...], called: set[str], mesh: str) -> ShipformError | None:
        """In a mesh, Prometheus (which has no sidecar) must scrape a port of its own: the port it reaches takes plain
        text and admits any peer the NetworkPolicy lets in, so on a port clients call (``called``: the main one, and
        those they name) the mesh would stop checking each client's identity."""
        port = self.port_of(path, ports)
        if port.name not in called:
            return None
        names = {p.name for p in ports}
        name = "metrics" if "metrics" not in names else "prometheus"
        number = max([9090, *(p.number + 1 for p in ports if p.number >= 9090)])
        wanted = ", ".join([*(f"'{p.name}': {p.number}" for p in ports), f"'{name}': {number}"])
        return ShipformError(
            path, "metrics.port", f"is port '{port.name}' ({port.number}), which clients call, in a namespace of the "
            f"{mesh} mesh: Prometheus has no sidecar, so that port would take plain text from it and the mesh would "
            f"stop checking each client's identity there", self.port,
            f"serve metrics on a port of their own, which no client calls and only Prometheus reaches: "
            f"ports={{{wanted}}} and Metrics(port='{name}')")

    def worker_port(self, path: str) -> spec.Port:
        """A Worker's metrics port: a number (it declares no ports to name)."""
        if not isinstance(self.port, int):
            raise ShipformError(path, "metrics.port", "must be the port number the worker serves metrics on (a "
                                "Worker has no named ports)", self.port, "write e.g. Metrics(port=9090)")
        return spec.Port("metrics", checks.port(path, "metrics.port", self.port), "http")


_OTLP = re.compile(r"(?P<scheme>https?)://(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?):(?P<port>[0-9]{1,5})")


@value_object
@dataclass(frozen=True)
class Telemetry:
    """An OpenTelemetry Collector in the cluster that the workloads send traces, metrics and logs to over OTLP.

    :param endpoint: Default: 'http://otel-collector.observability.svc:4317'. The collector's OTLP address.
    :param protocol: Default: 'grpc' (port 4317); 'http/protobuf' for the HTTP receiver (port 4318).
    :param namespace: Default: 'observability'. Where the collector runs.
    :param pods: Default: ``{"app.kubernetes.io/name": "opentelemetry-collector"}``. The labels of its pods: the
        only ones the workloads may reach on the endpoint's port.
    """

    endpoint: str = "http://otel-collector.observability.svc:4317"
    protocol: Literal["grpc", "http/protobuf"] = "grpc"
    namespace: str = "observability"
    pods: Mapping[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "opentelemetry-collector"})
    prop_example: ClassVar[str] = "Telemetry(endpoint='http://otel-collector.observability.svc:4317')"

    def to_spec(self, path: str) -> spec.Telemetry:
        check_fields(path, "telemetry", self)
        found = checks.exact(_OTLP, self.endpoint)
        if found is None or not 0 < int(found["port"]) < 65536:
            raise ShipformError(path, "telemetry.endpoint", "must be http(s)://<host>:<port>", self.endpoint,
                                "write e.g. 'http://otel-collector.observability.svc:4317'")
        checks.dns_label(path, "telemetry.namespace", self.namespace)
        pods = checks.pod_labels(path, "telemetry.pods", self.pods,
                                 "{'app.kubernetes.io/name': 'opentelemetry-collector'}", " (at least one)")
        return spec.Telemetry(self.endpoint, int(found["port"]), self.protocol, self.namespace, pods)


def otlp_env(collector: spec.Telemetry | None, name: str, namespace: str, environment: str,
             version: str) -> list[spec.EnvVar]:
    """The OpenTelemetry SDKs' standard variables of a workload ``name``, in Kubernetes (compose has no collector)."""
    if collector is None:
        return []
    attributes = f"service.namespace={namespace},deployment.environment.name={environment},service.version={version}"
    values = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": collector.protocol,
              "OTEL_SERVICE_NAME": name, "OTEL_RESOURCE_ATTRIBUTES": attributes}
    return [spec.EnvVar(key, spec.Plain(value), spec.KUBERNETES_ONLY) for key, value in values.items()]
