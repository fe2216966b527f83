"""Knative Eventing as every output sees it: the Brokers of an Environment, the sources that send events to them,
and the Triggers that deliver some of those events to a service (its EventSubscription facet)."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.facet import Facet
from shipform.spec.network import Port
from shipform.values.secret_ref import SecretRef


@dataclass(frozen=True)
class EventingPlane:
    """Knative Eventing's data plane as its release manifests install it (knative/eventing
    ``config/brokers/mt-channel-broker/deployments/broker-{ingress,filter}.yaml``): the ingress pods take the events
    sent to any Broker, the filter pods deliver them to each Trigger's subscriber."""

    namespace: str

    INGRESS_PODS = (("eventing.knative.dev/brokerRole", "ingress"),)
    FILTER_PODS = (("eventing.knative.dev/brokerRole", "filter"),)
    INGRESS_PORT = Port("http", 8080)
    """The ingress pods' port behind Service ``broker-ingress`` (port 80): what a NetworkPolicy sees."""
    INGRESS_SERVICE = "broker-ingress"

    def broker_url(self, namespace: str, name: str) -> str:
        """Where a Broker of the multi-tenant channel-based class takes events (its ``status.address.url``)."""
        return f"http://{self.INGRESS_SERVICE}.{self.namespace}.svc.cluster.local/{namespace}/{name}"


@dataclass(frozen=True)
class Broker:
    name: str
    namespace: str
    plane: EventingPlane

    @property
    def url(self) -> str:
        return self.plane.broker_url(self.namespace, self.name)


@dataclass(frozen=True)
class PingSource:
    """Sends an event on a cron schedule (type ``dev.knative.sources.ping``)."""

    name: str
    namespace: str
    broker: str
    schedule: str
    time_zone: str | None
    data: str | None
    content_type: str | None

    TYPE = "dev.knative.sources.ping"

    @property
    def filters(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The CloudEvents attributes of its events (knative/eventing ``PingSourceSource``)."""
        return ((("type", self.TYPE), ("source", f"/apis/v1/namespaces/{self.namespace}/pingsources/{self.name}")),)


@dataclass(frozen=True)
class KafkaServer:
    """A bootstrap server: ``host:port``, and the External it is, if one (drawn outside the cluster)."""

    address: str
    external: str | None = None
    """'<namespace>/<name>' of the External."""


@dataclass(frozen=True)
class KafkaSource:
    """Sends each record of ``topics`` as an event; credentials only by Secret reference."""

    name: str
    namespace: str
    broker: str
    servers: tuple[KafkaServer, ...]
    topics: tuple[str, ...]
    consumer_group: str
    tls: bool
    ca_cert: SecretRef | None = None
    sasl: tuple[SecretRef, SecretRef, SecretRef | None] | None = None
    """(user, password, mechanism) where the cluster asks for SASL."""
    client: tuple[SecretRef, SecretRef] | None = None
    """(certificate, key) where the cluster authenticates clients by TLS."""

    TYPE = "dev.knative.kafka.event"

    @property
    def filters(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The attributes of each topic's records that are not CloudEvents already (eventing-kafka-broker's
        ``KafkaEventSource``): one source per topic."""
        base = f"/apis/v1/namespaces/{self.namespace}/kafkasources/{self.name}"
        return tuple((("type", self.TYPE), ("source", f"{base}#{topic}")) for topic in self.topics)

    def secret_refs(self) -> tuple[SecretRef, ...]:
        found = (self.ca_cert, *(self.client or ()), *(self.sasl or ()))
        return tuple(ref for ref in found if ref is not None)


EventSource = PingSource | KafkaSource


@dataclass(frozen=True)
class Eventing:
    """An Environment's Brokers and the sources that send to them."""

    brokers: tuple[Broker, ...] = ()
    sources: tuple[EventSource, ...] = ()

    def broker(self, namespace: str, name: str) -> Broker:
        return next(b for b in self.brokers if (b.namespace, b.name) == (namespace, name))


@dataclass(frozen=True)
class Trigger:
    """Delivers the events of ``broker`` whose attributes equal ``attributes`` (all of them)."""

    name: str
    broker: str
    attributes: tuple[tuple[str, str], ...]
    sent_by: str | None = None
    """The source whose events these are, where the subscription names one (a picture draws it)."""

    def described(self) -> str:
        """What it delivers, in words: the events of a source (a Kafka one's topic), or those of the attributes."""
        if self.sent_by is None:
            return " ".join(f"{k}={v}" for k, v in self.attributes)
        topic = dict(self.attributes).get("source", "").partition("#")[2]
        return f"events of {self.sent_by}" + (f" topic {topic}" if topic else "")


@dataclass(frozen=True)
class EventSubscription(Facet):
    """The service receives events through Triggers in its namespace: Knative's broker filter delivers them (to a
    Knative service through Knative's gateway, which its pods admit already; to any other one directly)."""

    triggers: tuple[Trigger, ...]
    plane: EventingPlane
