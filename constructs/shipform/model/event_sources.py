"""Event sources that send to a Broker: ``PingSource`` (a cron schedule) and ``KafkaSource`` (the records of Kafka
topics). Knative runs their adapters in its own namespace; nothing of theirs runs in the app's namespaces."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Required, TypedDict, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import ShipformConstruct, child_path
from shipform.model.broker import Broker
from shipform.model.cron_job import time_zone_of
from shipform.model.external import External
from shipform.values import checks
from shipform.values.cron import validate_schedule
from shipform.values.prop_types import check_fields, check_props
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")
"""Kafka's own rule for topic names."""
_SERVER = re.compile(r"(?P<host>[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\]):(?P<port>[0-9]{1,5})")


class EventSource(ShipformConstruct):
    """Base of the sources: the Broker they send to, in their own namespace."""

    def __init__(self, scope: Construct, id: str, to: object):
        super().__init__(scope, id)
        if not isinstance(to, Broker):
            raise ShipformError(self.path, "to", "must be a Broker", to, "pass to=<a Broker of this namespace>")
        if to.environment is not self.environment or to.namespace != self.namespace:
            raise ShipformError(self.path, "to", f"is a Broker of another namespace ('{to.namespace}')", to.path,
                                f"create the source in namespace '{to.namespace}', beside its Broker")
        self.to = to


class PingSourceProps(TypedDict, total=False):
    schedule: Required[str]
    """When to send an event (required): cron, five fields or a macro like '@daily', as the CronJob controller
    reads it (robfig/cron, which Knative's ping adapter runs too)."""
    to: Required[Broker]
    """The Broker of this namespace the events go to (required)."""
    time_zone: str | None
    """Default: None (the adapter's, UTC). An IANA time zone name for the schedule."""
    data: str | None
    """Default: None (no body). The body of each event: a JSON object unless ``content_type`` says otherwise."""
    content_type: str | None
    """Default: 'application/json' where ``data`` is given. The media type of ``data``."""


class PingSource(EventSource):
    """Sends an event of type ``dev.knative.sources.ping`` on a schedule (``sources.knative.dev/v1`` PingSource).
    Subscribe with ``On(<this source>)``. Props: :class:`PingSourceProps`."""

    component = "ping-source"

    def __init__(self, scope: Construct, id: str, **props: Unpack[PingSourceProps]):
        path = child_path(scope, id)
        check_props(path, props, PingSourceProps)
        super().__init__(scope, id, props["to"])
        self.schedule = validate_schedule(self.path, "schedule", props["schedule"])
        self.time_zone = time_zone_of(self.path, props.get("time_zone"))
        self.data = props.get("data")
        self.content_type = props.get("content_type") or ("application/json" if self.data is not None else None)
        if self.data is not None and self.content_type == "application/json" and not _is_json_object(self.data):
            raise ShipformError(self.path, "data", "is not a JSON object, and its content type is application/json "
                                "(Knative's webhook reads such data as an object)", self.data,
                                "write a JSON object, e.g. data='{\"digest\": \"daily\"}', or pass "
                                "content_type='text/plain'")

    def eventing_spec(self) -> spec.PingSource:
        return spec.PingSource(self.name, self.namespace, self.to.name, self.schedule, self.time_zone, self.data,
                               self.content_type)


def _no_constant(name: str) -> object:
    raise ValueError(name)


def _is_json_object(text: str) -> bool:
    """Whether ``text`` is a JSON object: Knative's PingSource webhook unmarshals application/json data into a map
    and refuses anything else, an array or a bare string too (knative/eventing
    ``pkg/apis/sources/v1/ping_validation.go``). NaN and Infinity, which Python reads and Go does not, are not JSON."""
    try:
        found = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return False
    return isinstance(found, dict)


@value_object
@dataclass(frozen=True)
class KafkaSasl:
    """SASL credentials of a Kafka cluster, each a key of a Secret in the source's namespace.

    :param user: The user name (required).
    :param password: Its password (required).
    :param mechanism: Default: None (Knative's default, PLAIN). A key holding 'SCRAM-SHA-256' or 'SCRAM-SHA-512'.
    """

    user: SecretRef
    password: SecretRef
    mechanism: SecretRef | None = None
    prop_example: ClassVar[str] = "KafkaSasl(user=SecretRef('kafka', 'user'), password=SecretRef('kafka', 'password'))"

    def to_spec(self, path: str) -> tuple[SecretRef, SecretRef, SecretRef | None]:
        check_fields(path, "sasl", self)
        for field, ref in (("user", self.user), ("password", self.password), ("mechanism", self.mechanism)):
            if ref is not None:
                ref.validate(path, f"sasl.{field}")
        return self.user, self.password, self.mechanism


class KafkaSourceProps(TypedDict, total=False):
    servers: Required[Sequence[External | str]]
    """The bootstrap servers (required): at least one, each an External (its host and port) or 'host:port'."""
    topics: Required[Sequence[str]]
    """The topics to read (required): at least one."""
    to: Required[Broker]
    """The Broker of this namespace the events go to (required)."""
    consumer_group: str | None
    """Default: '<app>-<namespace>-<id>'. The Kafka consumer group the source reads as (fixed once the KafkaSource
    exists: Knative's webhook refuses a change)."""
    tls: bool
    """Default: True. Connect over TLS (``net.tls.enable``), with ``sasl`` or a client certificate (``client_cert``,
    ``client_key``); False is for a cluster that serves plain text only."""
    ca_cert: SecretRef | None
    """Default: None (the system's CAs). The CA certificate the brokers' certificates are checked against."""
    sasl: KafkaSasl | None
    """Default: None. :class:`KafkaSasl`: log in with SASL (credentials by SecretRef only)."""
    client_cert: SecretRef | None
    """Default: None. The client certificate (PEM) for a cluster that authenticates clients by TLS (mutual TLS),
    with ``client_key``. Over TLS without SASL, eventing-kafka-broker always presents one: required then."""
    client_key: SecretRef | None
    """Default: None. The client certificate's private key (PEM, PKCS #8: the Java client refuses PKCS #1)."""


class KafkaSource(EventSource):
    """Sends each record of ``topics`` as an event (``sources.knative.dev/v1beta1`` KafkaSource, of
    eventing-kafka-broker): records that are not CloudEvents become type ``dev.knative.kafka.event`` from source
    ``/apis/v1/namespaces/<ns>/kafkasources/<name>#<topic>``, which ``On(<this source>)`` subscribes to (one Trigger
    per topic); records that are CloudEvents keep their own attributes (``On(broker, type=...)``). Props:
    :class:`KafkaSourceProps`."""

    component = "kafka-source"

    def __init__(self, scope: Construct, id: str, **props: Unpack[KafkaSourceProps]):
        path = child_path(scope, id)
        check_props(path, props, KafkaSourceProps)
        super().__init__(scope, id, props["to"])
        self.servers = tuple(self._server(i, s) for i, s in enumerate(props["servers"]))
        if not self.servers:
            raise ShipformError(self.path, "servers", "names no bootstrap server", [],
                                "pass servers=[<an External>] or servers=['kafka.example.com:9093']")
        self.topics = tuple(props["topics"])
        if not self.topics or len(set(self.topics)) != len(self.topics):
            raise ShipformError(self.path, "topics", "must name at least one topic, each once", list(self.topics),
                                "pass topics=['orders']")
        for topic in self.topics:
            if not checks.matches(_TOPIC, topic) or topic in (".", ".."):
                raise ShipformError(self.path, "topics", "holds a name Kafka refuses (1-249 of a-z A-Z 0-9 . _ -)",
                                    topic, "use the topic's name as Kafka has it")
        group = props.get("consumer_group") or f"{self.app.name}-{self.namespace}-{self.name}"
        if not checks.matches(r"[a-zA-Z0-9._-]{1,249}", group):
            raise ShipformError(self.path, "consumer_group", "must be 1-249 of a-z A-Z 0-9 . _ -", group,
                                "write e.g. consumer_group='shop-orders'")
        self.consumer_group = group
        self.tls = props.get("tls", True)
        self.ca_cert = props.get("ca_cert")
        if self.ca_cert is not None:
            if not self.tls:
                raise ShipformError(self.path, "ca_cert", "is for TLS, and tls=False", self.ca_cert,
                                    "drop ca_cert, or drop tls=False")
            self.ca_cert.validate(self.path, "ca_cert")
        sasl = props.get("sasl")
        self.sasl = sasl.to_spec(self.path) if sasl is not None else None
        self.client = self._client_certificate(props.get("client_cert"), props.get("client_key"))

    def _client_certificate(self, cert: SecretRef | None, key: SecretRef | None) -> tuple[SecretRef, SecretRef] | None:
        """The client certificate and key, both or neither. Over TLS without SASL they are required: the data plane
        then demands a client certificate, and a KafkaSource has no way to say it needs none (its ``user.skip`` is
        a key of the legacy Secret only; eventing-kafka-broker ``CredentialsValidator``, issue #2162)."""
        if cert is None and key is None:
            if self.tls and self.sasl is None:
                raise ShipformError(self.path, "sasl", "is not given, and over TLS without SASL eventing-kafka-broker "
                                    "requires a client certificate (it cannot skip client authentication)", None,
                                    "pass sasl=KafkaSasl(...), or client_cert= and client_key= (mutual TLS), or "
                                    "tls=False for a cluster that serves plain text only")
            return None
        if cert is None or key is None:
            missing = "client_key" if key is None else "client_cert"
            raise ShipformError(self.path, missing, "is missing: a client certificate needs both", cert or key,
                                "pass client_cert= and client_key= together")
        if not self.tls:
            raise ShipformError(self.path, "client_cert", "is for TLS, and tls=False", cert,
                                "drop client_cert and client_key, or drop tls=False")
        cert.validate(self.path, "client_cert")
        key.validate(self.path, "client_key")
        return cert, key

    def _server(self, index: int, server: External | str) -> spec.KafkaServer:
        if isinstance(server, External):
            if server.environment is not self.environment:
                raise ShipformError(self.path, f"servers[{index}]", "is an External of another Environment",
                                    server.path, "name an External of this Environment")
            return spec.KafkaServer(f"{server.host}:{server.port}", f"{server.namespace}/{server.name}")
        found = checks.exact(_SERVER, server)
        if found is None or not 1 <= int(found["port"]) <= 65535:
            raise ShipformError(self.path, f"servers[{index}]", "must be 'host:port' or an External", server,
                                "write e.g. 'kafka.example.com:9093'")
        return spec.KafkaServer(server)

    def eventing_spec(self) -> spec.KafkaSource:
        return spec.KafkaSource(self.name, self.namespace, self.to.name, self.servers, self.topics,
                                self.consumer_group, self.tls, self.ca_cert, self.sasl, self.client)
