"""An Environment's Knative Eventing objects besides the Triggers (render.facets.events): each Broker, and each
source (PingSource, KafkaSource) with the Broker as its sink. The Secrets a KafkaSource names are the app's to
provide in the source's namespace, like a workload's."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey
from shipform.values.secret_ref import SecretRef

EVENTING_API = "eventing.knative.dev/v1"
PING_API = "sources.knative.dev/v1"
KAFKA_API = "sources.knative.dev/v1beta1"
BROKER_CLASS = "MTChannelBasedBroker"
"""Knative's default Broker class, named so a cluster whose default differs still gets the data plane the
NetworkPolicies admit (eventing.knative.dev/broker.class)."""


def _identity(found: spec.Broker | spec.EventSource) -> tuple[str, str, str]:
    if isinstance(found, spec.Broker):
        return "broker", EVENTING_API, "Broker"
    if isinstance(found, spec.PingSource):
        return "event-source", PING_API, "PingSource"
    return "event-source", KAFKA_API, "KafkaSource"


def keys(env: spec.Environment) -> list[ObjectKey]:
    """Each Broker, then each source, in the order they were created."""
    return [ObjectKey(*_identity(found), found.name, found.namespace)
            for found in (*env.eventing.brokers, *env.eventing.sources)]


def objects(env: spec.Environment) -> dict[tuple[str, str, str], Manifest]:
    """{(kind, namespace, name): body} of the keys."""
    made: dict[tuple[str, str, str], Manifest] = {}
    for found in (*env.eventing.brokers, *env.eventing.sources):
        _, api, kind = _identity(found)
        labels = {**spec.shipform_labels(env.app), "app.kubernetes.io/name": found.name}
        body: Manifest = {"apiVersion": api, "kind": kind,
                          "metadata": {"name": found.name, "namespace": found.namespace, "labels": labels}}
        if isinstance(found, spec.Broker):
            body["metadata"]["annotations"] = {"eventing.knative.dev/broker.class": BROKER_CLASS}
        else:
            body["spec"] = {**_source_spec(found), "sink": sink(found.broker)}
        made[(kind, found.namespace, found.name)] = body
    return made


def sink(broker: str) -> dict[str, Any]:
    """A Broker of the object's own namespace, by reference (Knative resolves its address)."""
    return {"ref": {"apiVersion": EVENTING_API, "kind": "Broker", "name": broker}}


def _source_spec(source: spec.EventSource) -> dict[str, Any]:
    if isinstance(source, spec.PingSource):
        found = {"schedule": source.schedule, "timezone": source.time_zone, "data": source.data,
                 "contentType": source.content_type}
        return {k: v for k, v in found.items() if v is not None}
    net: dict[str, Any] = {"tls": {"enable": source.tls}}
    if source.ca_cert is not None:
        net["tls"]["caCert"] = _secret(source.ca_cert)
    if source.client is not None:
        net["tls"]["cert"], net["tls"]["key"] = (_secret(ref) for ref in source.client)
    if source.sasl is not None:
        user, password, mechanism = source.sasl
        net["sasl"] = {"enable": True, "user": _secret(user), "password": _secret(password),
                       **({"type": _secret(mechanism)} if mechanism is not None else {})}
    return {"bootstrapServers": [s.address for s in source.servers], "topics": list(source.topics),
            "consumerGroup": source.consumer_group, "net": net}


def _secret(ref: SecretRef) -> dict[str, Any]:
    return {"secretKeyRef": {"name": ref.name, "key": ref.key}}


def secret_places(env: spec.Environment) -> dict[tuple[str, str], set[str]]:
    """{(namespace, Secret name): keys} the KafkaSources read, in their own namespaces."""
    found: dict[tuple[str, str], set[str]] = {}
    for source in env.eventing.sources:
        if isinstance(source, spec.KafkaSource):
            for ref in source.secret_refs():
                found.setdefault((source.namespace, ref.name), set()).add(ref.key)
    return found
