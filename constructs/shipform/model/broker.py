"""Broker: a Knative Eventing Broker in a namespace, which workloads send events to (``connects_to=[broker]``),
sources feed (PingSource, KafkaSource) and services subscribe to (``WebService(events=[On(broker, ...)])``)."""

from __future__ import annotations

from typing import TypedDict, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import ShipformConstruct, child_path
from shipform.values import checks
from shipform.values.prop_types import check_props
from shipform.values.secret_ref import SecretRef

API = "eventing.knative.dev/v1"
SINK_ENV = "K_SINK"
"""The variable a client of a Broker finds its address in: the name Knative's SinkBinding and ContainerSource give
it, which Knative Functions and the CloudEvents examples read."""


class BrokerProps(TypedDict, total=False):
    eventing_namespace: str
    """Default: 'knative-eventing'. Where Knative Eventing's data plane runs (its release manifests' namespace): the
    broker ingress pods that take the events clients send (their NetworkPolicies reach those pods on 8080) and the
    broker filter pods that deliver them to subscribers (a subscriber that is not serverless admits those)."""


class Broker(ShipformConstruct):
    """A Knative Eventing Broker (``eventing.knative.dev/v1``, the default multi-tenant channel-based class; Knative's
    delivery defaults apply). A workload that lists it in ``connects_to`` gets its address in ``K_SINK`` (in
    Kubernetes; a local run has no broker) and may reach the broker ingress pods; a WebService receives its events
    with ``events=[On(broker, type=...)]``. Refused in a namespace enrolled in a mesh: the data plane delivers from
    outside it. Props: :class:`BrokerProps`."""

    component = "broker"
    health = None
    build = None

    def __init__(self, scope: Construct, id: str, **props: Unpack[BrokerProps]):
        check_props(child_path(scope, id), props, BrokerProps)
        super().__init__(scope, id)
        namespace = checks.dns_label(self.path, "eventing_namespace", props.get("eventing_namespace",
                                                                                "knative-eventing"))
        self.plane = spec.EventingPlane(namespace)

    def validate(self) -> list[ShipformError]:
        env = self.environment
        if env.mesh_of(self.namespace) is not None:
            return [ShipformError(self.path, "namespace", "is enrolled in a mesh, and Knative Eventing's broker "
                                  "filter delivers events from outside it (plain text, no mesh identity)",
                                  self.namespace, "put the Broker and its subscribers in a namespace outside the mesh")]
        return []

    def eventing_spec(self) -> spec.Broker:
        return spec.Broker(self.name, self.namespace, self.plane)

    # The facts a client needs, as a server workload has them (connects_to).
    @property
    def port(self) -> int:
        return 80

    @property
    def is_database(self) -> bool:
        return False

    def ports(self) -> tuple[spec.Port, ...]:
        return (spec.Port("http", 80),)

    def client_env(self, ports: tuple[spec.Port, ...] = ()) -> list[spec.EnvVar]:
        url = self.plane.broker_url(self.namespace, self.name)
        return [spec.EnvVar(SINK_ENV, spec.Plain(url), spec.KUBERNETES_ONLY)]

    def client_secrets(self) -> dict[str, SecretRef]:
        return {}

    def client_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        return ()

    def endpoint(self, ports: tuple[spec.Port, ...] = ()) -> spec.Endpoint:
        """Clients send to the broker ingress pods of the data plane, never to a pod of the namespace."""
        ingress = spec.PlatformPeer(self.plane.namespace, self.plane.INGRESS_PODS, (self.plane.INGRESS_PORT,))
        return spec.Endpoint(self.name, self.namespace, self.app.name, self.port, ports or self.ports(),
                             through=ingress, local=False)


def collision_fix(target: object) -> str:
    """What to change where two targets of a client would set the same variable (``target`` the second)."""
    if isinstance(target, Broker):
        return "send to one Broker (K_SINK holds one address)"
    return "give one of them its own env_prefix (StatefulDB, External), name= or id"
