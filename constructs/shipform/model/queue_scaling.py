"""Scaling a Worker by the length of its queue with KEDA: ``Environment(keda=Keda())`` says KEDA runs in the
cluster; ``Worker(scale_on=Queue(on=server, name=...))`` gives a ScaledObject (and a TriggerAuthentication for
the credentials, by Secret reference) for a server the worker already ``connects_to``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.external import External
from shipform.model.stage import Environment
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

QueueKind = Literal["redis", "rabbitmq", "kafka", "sqs"]
_SQS_HOST = re.compile(r"sqs\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")
_SQS_URL = re.compile(r"https://sqs\.[a-z0-9-]+\.amazonaws\.com/[0-9]{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?")
# What each trigger reads its credentials from (KEDA's TriggerAuthentication parameters).
_AUTH_PARAMETERS: dict[str, tuple[str, ...]] = {
    "redis": ("username", "password"),
    "rabbitmq": ("host",),
    "kafka": ("sasl", "username", "password", "tls", "ca"),
    "sqs": ("awsAccessKeyID", "awsSecretAccessKey"),
}


class Scaled(Protocol):
    """A workload as the queue it scales by sees it (a Worker)."""

    @property
    def path(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def environment(self) -> Environment: ...

    def targets(self) -> Sequence[object]: ...


@value_object
@dataclass(frozen=True)
class Queue:
    """The queue a Worker drains: KEDA runs one replica per ``per_replica`` waiting messages, from ``min`` (0: no
    pod while the queue is empty) to ``max``.

    :param on: The server holding the queue, which the worker must list in ``connects_to``: a redis
        StatefulDB, or an External (RabbitMQ, Kafka, SQS; say which with ``kind``).
    :param name: The redis list, RabbitMQ queue, Kafka topic, or the SQS queue's URL.
    :param kind: Default: 'redis' for a StatefulDB; required for an External.
    :param per_replica: Default: 5. Waiting messages (Kafka: lag) per replica.
    :param min: Default: 0. The fewest replicas (0: no pod while the queue is empty).
    :param max: Default: 10. The most replicas.
    :param auth: Default: {} (redis StatefulDB: its user 'keda', which may read the list's type and length
        only, with the password in '<db>-keda-credentials'). KEDA's credential parameters, each from
        a secret of the External (``secrets={"URL": SecretRef(...)}``): RabbitMQ needs ``{"host": "URL"}`` (the
        amqp URL with its credentials); SQS without auth uses the KEDA operator's own AWS identity.
    :param group: Default: the worker's name. Kafka's consumer group.
    """

    on: Any
    name: str
    kind: QueueKind | None = None
    per_replica: int = 5
    min: int = 0
    max: int = 10
    auth: Mapping[str, str] = field(default_factory=dict)
    group: str | None = None
    prop_example: ClassVar[str] = "Queue(on=queue_db, name='jobs')"

    def to_spec(self, worker: Scaled) -> spec.QueueScaling:
        path = worker.path
        check_fields(path, "scale_on", self)
        if self.on not in worker.targets():
            raise ShipformError(path, "scale_on.on", "is not a server the worker connects to, so nothing would "
                                "connect it to the queue", getattr(self.on, "path", self.on),
                                "add it to connects_to, or name the server the worker already connects to")
        if worker.environment.keda is None:
            raise ShipformError(path, "scale_on", f"needs KEDA, and Environment '{worker.environment.name}' has no "
                                "keda=", self.name, f"pass keda=Keda() to Environment '{worker.environment.name}' "
                                "(and install KEDA there), or scale with replicas=")
        if not 0 <= self.min <= self.max or not 1 <= self.max <= 1000:
            raise ShipformError(path, "scale_on", "needs 0 <= min <= max and 1 <= max <= 1000",
                                {"min": self.min, "max": self.max}, "write e.g. min=0, max=10")
        if not 1 <= self.per_replica <= 1_000_000:
            raise ShipformError(path, "scale_on.per_replica", "must be 1 to 1000000 messages", self.per_replica,
                                "write e.g. 5")
        kind = self._kind(path)
        self._check_names(path, kind)
        self._check_mesh(path, worker)
        metadata = getattr(self, f"_{kind}")(path, worker)
        return spec.QueueScaling(kind if kind != "sqs" else "aws-sqs-queue", tuple(metadata.items()),
                                 self._auth(path, kind), self.min, self.max)

    def _kind(self, path: str) -> QueueKind:
        server_kind = "redis" if getattr(getattr(self.on, "engine", None), "name", None) == "redis" else None
        if isinstance(self.on, External):
            if self.kind is None:
                raise ShipformError(path, "scale_on.kind", "is needed for an External: shipform cannot tell what "
                                    "kind of server it is", None, "pass kind='rabbitmq', 'kafka', 'sqs' or 'redis'")
            return self.kind
        if server_kind is None or self.kind not in (None, server_kind):
            raise ShipformError(path, "scale_on.on", "must be a redis StatefulDB or an External (a queue KEDA can "
                                "measure)", getattr(self.on, "path", self.on),
                                "point it at the redis database or External that holds the queue")
        return "redis"

    def _check_mesh(self, path: str, worker: Scaled) -> None:
        """KEDA's operator reaches a server in a meshed namespace by its identity in the mesh, or, outside the
        mesh, over plain text only where the Environment says why."""
        keda = worker.environment.keda
        namespace = getattr(self.on, "namespace", None)
        if isinstance(self.on, External) or keda is None or namespace is None:
            return
        mesh = worker.environment.mesh_of(namespace)
        if mesh is None or keda.identity is not None or keda.plain_text_reason is not None:
            return
        env = worker.environment.name
        raise ShipformError(path, "scale_on.on", f"is in namespace '{namespace}' of the {mesh.kind} mesh, and KEDA's "
                            "operator is outside it: the mesh would have to admit plain text from any source on the "
                            "queue's port", self.on.path,
                            f"enrol KEDA's namespace in the mesh and pass keda=Keda(in_mesh=True) to Environment "
                            f"'{env}', or state why it may not be with Keda(plain_text_reason='...')")

    def secret_refs(self) -> tuple[SecretRef, ...]:
        """The Secret keys KEDA reads the queue's credentials from (the TriggerAuthentication's)."""
        if not isinstance(self.on, External):
            return tuple(ref for _, ref in self._server_auth())
        return tuple(self.on.secrets[s] for s in self.auth.values() if s in self.on.secrets)

    def _check_names(self, path: str, kind: str) -> None:
        """A Kafka topic by Kafka's rule; a redis list or RabbitMQ queue (and a consumer group) as one line of at
        most 255 bytes, without spaces at its ends, and a list of a StatefulDB without any (its ACL names the list).
        An SQS queue is its URL (see _sqs)."""
        if kind == "kafka" and not checks.matches(r"[A-Za-z0-9._-]{1,249}", self.name):
            raise ShipformError(path, "scale_on.name", "must be a Kafka topic (1-249 of letters, digits, '.', '_' "
                                "and '-')", self.name, "write the topic's name, e.g. 'orders'")
        names = {"name": self.name} if kind != "sqs" else {}
        if self.group is not None:
            names["group"] = self.group
        for prop, name in names.items():
            if not name.isprintable() or name != name.strip() or not 0 < len(name.encode()) <= 255:
                raise ShipformError(path, f"scale_on.{prop}", "must be one line of at most 255 bytes, without spaces "
                                    "at its ends", name, "write the name as the server has it, e.g. 'jobs'")
        if kind == "redis" and not isinstance(self.on, External) and " " in self.name:
            raise ShipformError(path, "scale_on.name", "holds a space, and Redis refuses an ACL key pattern with one, "
                                "so KEDA's user could not be limited to this list", self.name,
                                "name the list without spaces, e.g. 'index-jobs'")

    def _auth(self, path: str, kind: str) -> tuple[tuple[str, SecretRef], ...]:
        if not isinstance(self.on, External):
            return self._server_auth()
        allowed = _AUTH_PARAMETERS[kind]
        refs = []
        for parameter, secret in sorted(self.auth.items()):
            if parameter not in allowed:
                raise ShipformError(path, f"scale_on.auth.{parameter}", f"is not a credential KEDA's {kind} trigger "
                                    "reads", parameter, f"use one of {', '.join(allowed)}")
            if secret not in self.on.secrets:
                raise ShipformError(path, f"scale_on.auth.{parameter}", f"names no secret of {self.on.path}",
                                    secret, f"name one of its secrets= ({', '.join(self.on.secrets) or 'it has none'})")
            refs.append((parameter, self.on.secrets[secret]))
        if kind == "rabbitmq" and "host" not in self.auth:
            raise ShipformError(path, "scale_on.auth", "must give RabbitMQ's address with its credentials (KEDA "
                                "reads the queue through it)", dict(self.auth),
                                "pass auth={'host': '<the External's secret holding amqp://user:password@host/vhost>'}")
        return tuple(refs)

    def _server_auth(self) -> tuple[tuple[str, SecretRef], ...]:
        """A StatefulDB: the password of its user for KEDA, and where it serves TLS the CA KEDA verifies it with
        (against the name in the address)."""
        assert not isinstance(self.on, External)
        tls = getattr(self.on, "tls", None)
        ca = (("ca", SecretRef(tls, "ca.crt")),) if tls is not None else ()
        return (("password", self.on.queue_reader_password), *ca)

    def _address(self) -> str:
        host = self.on.host if isinstance(self.on, External) else f"{self.on.name}.{self.on.namespace}.svc"
        return f"{host}:{self.on.port}"

    def _redis(self, path: str, worker: Scaled) -> dict[str, str]:
        metadata = {"address": self._address(), "listName": self.name, "listLength": str(self.per_replica)}
        if not isinstance(self.on, External):  # the server's user for KEDA, which reads the list's length only
            metadata["username"] = self.on.engine.queue_reader.user
            if getattr(self.on, "tls", None) is not None:
                metadata["enableTLS"] = "true"
        return metadata

    def _rabbitmq(self, path: str, worker: Scaled) -> dict[str, str]:
        return {"protocol": "amqp", "queueName": self.name, "mode": "QueueLength", "value": str(self.per_replica)}

    def _kafka(self, path: str, worker: Scaled) -> dict[str, str]:
        group = self.group or worker.name
        return {"bootstrapServers": self._address(), "consumerGroup": group, "topic": self.name,
                "lagThreshold": str(self.per_replica)}

    def _sqs(self, path: str, worker: Scaled) -> dict[str, str]:
        if not checks.matches(_SQS_URL, self.name):
            raise ShipformError(path, "scale_on.name", "must be the SQS queue's URL", self.name,
                                "write e.g. 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs'")
        region = _SQS_HOST.search(self.name)
        assert region is not None
        metadata = {"queueURL": self.name, "queueLength": str(self.per_replica), "awsRegion": region["region"]}
        if not self.auth:
            metadata["identityOwner"] = "operator"
        return metadata
