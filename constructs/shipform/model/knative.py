"""Request-driven scale to zero with Knative Serving: ``Environment(knative=KnativeServing())`` says it runs in the
cluster; ``WebService(serverless=Serverless())`` makes the service a Knative Service, which runs no pod while no
request comes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.resources import Resources
from shipform.values.value_object import value_object


@value_object
@dataclass(frozen=True)
class KnativeServing:
    """Knative Serving with Kourier (its default networking layer), as installed by its release manifests.

    :param namespace: Default: 'knative-serving'. Where its activator (which holds requests while a service
        scales from zero) and autoscaler (which reads each pod's queue-proxy) run.
    :param gateway_namespace: Default: 'kourier-system'. Where the gateway runs that every request to a Knative
        service goes through, from clients in the cluster too.
    :param gateway_pods: Default: ``{"app": "3scale-kourier-gateway"}``.
    :param gateway_port: Default: 8081. The gateway pods' port for requests from inside the cluster.
    :param queue_proxy: Default: ``Resources(cpu="25m", memory="64Mi", cpu_limit="250m", memory_limit="128Mi")``.
        The requests and limits of the queue-proxy sidecar in each pod, counted by the quota.
    """

    namespace: str = "knative-serving"
    gateway_namespace: str = "kourier-system"
    gateway_pods: Mapping[str, str] = field(default_factory=lambda: {"app": "3scale-kourier-gateway"})
    gateway_port: int = 8081
    queue_proxy: Resources = field(default_factory=lambda: Resources(cpu="25m", memory="64Mi", cpu_limit="250m",
                                                                      memory_limit="128Mi"))
    prop_example: ClassVar[str] = "KnativeServing(gateway_namespace='kourier-system')"

    def to_spec(self, path: str) -> spec.KnativeServing:
        check_fields(path, "knative", self)
        checks.dns_label(path, "knative.namespace", self.namespace)
        checks.dns_label(path, "knative.gateway_namespace", self.gateway_namespace)
        pods = checks.pod_labels(path, "knative.gateway_pods", self.gateway_pods,
                                 "{'app': '3scale-kourier-gateway'}", " (at least one)")
        checks.port(path, "knative.gateway_port", self.gateway_port)
        return spec.KnativeServing(self.namespace, self.gateway_namespace, pods, self.gateway_port,
                                   self.queue_proxy.parse(path, "knative.queue_proxy"))


@value_object
@dataclass(frozen=True)
class Serverless:
    """The service runs as a Knative Service: Knative starts pods as requests come, from ``min`` (0: none while
    idle; the first request waits for a pod to start) to ``max``, aiming at ``concurrency`` requests in flight per
    pod.

    :param min: Default: 0. The fewest pods (0: none while idle).
    :param max: Default: 10. The most pods.
    :param concurrency: Default: 100. In-flight requests per pod the autoscaler aims at (a soft target).
    :param timeout_seconds: Default: 300. The longest a request may take.
    """

    min: int = 0
    max: int = 10
    concurrency: int = 100
    timeout_seconds: int = 300
    prop_example: ClassVar[str] = "Serverless(min=0, max=10, concurrency=100)"

    def validate(self, path: str) -> None:
        check_fields(path, "serverless", self)
        if not 0 <= self.min <= self.max or not 1 <= self.max <= 1000:
            raise ShipformError(path, "serverless", "needs 0 <= min <= max and 1 <= max <= 1000",
                                {"min": self.min, "max": self.max}, "write e.g. Serverless(min=0, max=10)")
        checks.positive_int(path, "serverless.concurrency", self.concurrency, maximum=1000)
        checks.positive_int(path, "serverless.timeout_seconds", self.timeout_seconds, maximum=3600)
