"""WebService: a long-running process that serves a port, with everything it needs around it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs import Construct

from shipform import props
from shipform.errors import ShipformError
from shipform.health import Health
from shipform.outputs import network, pod
from shipform.values import Autoscale
from shipform.workload import Workload


class WebService(Workload):
    """A service reached over a TCP port: Deployment, Service, ServiceAccount, NetworkPolicy, and when
    asked a PodDisruptionBudget, HorizontalPodAutoscaler and Ingress; a Dockerfile when built from
    source; a compose service in the local environment.

    Props beyond :class:`Workload`'s:

    :param port: the TCP port the process listens on (required).
    :param health: Default: ``Health.tcp()`` on the port.
    :param replicas: Default: the Environment's ``replicas``. Ignored for the Deployment when
        ``autoscale`` is set (the HorizontalPodAutoscaler owns the count).
    :param autoscale: Default: None. An :class:`Autoscale` adds a HorizontalPodAutoscaler.
    :param public: Default: False. True adds an Ingress with TLS and admits the ingress controller.
    :param host: Default: ``<id>.<environment domain>`` when public.
    """

    component = "web-service"

    def __init__(self, scope: Construct, id: str, *, port: int, health: Health | None = None,
                 replicas: int | None = None, autoscale: Autoscale | None = None, public: bool = False,
                 host: str | None = None, connects_to: Sequence[WebService] = (), **workload: Any):
        super().__init__(scope, id, health=health or Health.tcp(), connects_to=connects_to, **workload)
        self._port = props.port(self.path, "port", port)
        self.replicas = props.positive_int(self.path, "replicas", replicas if replicas is not None
                                           else self.environment.replicas)
        self.autoscale = autoscale
        if autoscale is not None:
            autoscale.validate(self.path)
        self.public = bool(public)
        self.host = self._resolve_host(host)
        self.service_account = self.add_object("v1", "ServiceAccount", self._service_account)
        self.deployment = self.add_object("apps/v1", "Deployment", self._deployment)
        self.service = self.add_object("v1", "Service", self._service)
        self.network_policy = self.add_object("networking.k8s.io/v1", "NetworkPolicy",
                                              lambda: network.network_policy(self, self.public))
        self.disruption_budget = self.add_object("policy/v1", "PodDisruptionBudget", self._pdb) \
            if self.min_replicas > 1 else None
        self.autoscaler = self.add_object("autoscaling/v2", "HorizontalPodAutoscaler", self._hpa) \
            if autoscale else None
        self.ingress = self.add_object("networking.k8s.io/v1", "Ingress", self._ingress) if self.public else None

    @property
    def port(self) -> int:
        return self._port

    @property
    def min_replicas(self) -> int:
        return self.autoscale.min if self.autoscale else self.replicas

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

    # ------------------------------------------------------------------ Kubernetes objects
    def _service_account(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "automountServiceAccountToken": False}

    def _deployment(self) -> dict[str, Any]:
        ports = [{"name": "http", "containerPort": self.port, "protocol": "TCP"}]
        spec: dict[str, Any] = {}
        if self.autoscale is None:
            spec["replicas"] = self.replicas
        spec.update({
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": self.selector},
            # Never below the wanted count during a rollout: new pods must be ready before old ones go.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": pod.pod_template(self, ports),
        })
        return {"metadata": self.metadata(), "spec": spec}

    def _service(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "spec": {
            "type": "ClusterIP",
            "selector": self.selector,
            "ports": [{"name": "http", "port": self.port, "targetPort": "http", "protocol": "TCP"}],
        }}

    def _pdb(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "spec": {"maxUnavailable": 1, "selector": {"matchLabels": self.selector}}}

    def _hpa(self) -> dict[str, Any]:
        assert self.autoscale is not None
        return {"metadata": self.metadata(), "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.name},
            "minReplicas": self.autoscale.min,
            "maxReplicas": self.autoscale.max,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": self.autoscale.cpu_percent}}}],
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
