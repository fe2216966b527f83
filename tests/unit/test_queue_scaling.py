"""Workers scaled by their queue's length with KEDA, down to zero: a ScaledObject for the server the worker
already connects to, credentials by Secret reference, and the queue admitting KEDA's operator alone besides its
clients; checked against the published CRD schemas (shipform/validators/crd_schemas/keda.sh)."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import (
    App,
    DataStorage,
    Environment,
    External,
    Health,
    Issuer,
    Keda,
    Queue,
    Quota,
    SecretRef,
    SecureNamespace,
    StatefulDB,
    Subject,
    Worker,
)
from shipform.testing import find_object, objects, synthesize

SQS_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"


def worker(ns, name, server, queue):
    return Worker(ns, name, image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]),
                  connects_to=[server], scale_on=queue)


@pytest.fixture(scope="module")
def scaled(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", keda=Keda(), tls_issuer=Issuer(name="internal-ca"),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(prod, "shop", deployers=[Subject.group("deployers")],
                         quota=Quota(cpu="16", cpu_limit="64", memory="64Gi", memory_limit="128Gi", pods=100))
    queue = StatefulDB(ns, "queue", engine="redis", version="7.4")
    rabbit = External(ns, "rabbit", host="rabbit.example.com", port=5671, secrets={"URL": SecretRef("rabbit", "url")})
    kafka = External(ns, "kafka", host="kafka.example.com", port=9092)
    sqs = External(ns, "sqs", host="sqs.eu-west-1.amazonaws.com", port=443)
    worker(ns, "mailer", queue, Queue(on=queue, name="mail", max=20))
    worker(ns, "billing", rabbit, Queue(on=rabbit, name="invoices", kind="rabbitmq", auth={"host": "URL"}, min=1))
    worker(ns, "indexer", kafka, Queue(on=kafka, name="events", kind="kafka", per_replica=100))
    worker(ns, "importer", sqs, Queue(on=sqs, name=SQS_URL, kind="sqs"))
    return synthesize(app)


def test_a_redis_list_scales_its_worker_from_zero(scaled):
    scaler = find_object(scaled, "ScaledObject", "mailer")["spec"]
    assert scaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mailer"}
    assert (scaler["minReplicaCount"], scaler["maxReplicaCount"]) == (0, 20)
    assert scaler["triggers"] == [{"type": "redis", "metadata": {
        "address": "queue.shop.svc:6379", "listName": "mail", "listLength": "5", "username": "keda",
        "enableTLS": "true"}, "authenticationRef": {"name": "mailer"}}]
    # KEDA's own user's password by reference to a Secret of its own; never a value, never the application's. The
    # queue serves TLS (prod, no mesh): KEDA verifies it with the CA alone (no unsafeSsl), against the name it
    # dials (queue.shop.svc, one of the certificate's names).
    assert find_object(scaled, "TriggerAuthentication", "mailer")["spec"] == {
        "secretTargetRef": [{"parameter": "password", "name": "queue-keda-credentials", "key": "password"},
                            {"parameter": "ca", "name": "queue-tls", "key": "ca.crt"}]}
    assert "queue.shop.svc" in find_object(scaled, "Certificate", "queue-tls")["spec"]["dnsNames"]
    assert "replicas" not in find_object(scaled, "Deployment", "mailer")["spec"]  # KEDA owns the count
    assert not objects(scaled, "PodDisruptionBudget", "mailer")  # none with min 0


def test_the_queue_admits_keda_on_its_port_and_nothing_else_new(scaled):
    rules = find_object(scaled, "NetworkPolicy", "queue")["spec"]["ingress"]
    assert rules[-1] == {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}},
                                   "podSelector": {"matchLabels": {"app": "keda-operator"}}}],
                         "ports": [{"port": 6379, "protocol": "TCP"}]}
    assert len(rules) == 2  # its client, and KEDA


def test_rabbitmq_kafka_and_sqs_triggers(scaled):
    def trigger(name):
        return find_object(scaled, "ScaledObject", name)["spec"]["triggers"][0]

    assert trigger("billing") == {"type": "rabbitmq", "metadata": {
        "protocol": "amqp", "queueName": "invoices", "mode": "QueueLength", "value": "5"},
        "authenticationRef": {"name": "billing"}}
    assert find_object(scaled, "TriggerAuthentication", "billing")["spec"]["secretTargetRef"] == [
        {"parameter": "host", "name": "rabbit", "key": "url"}]
    assert trigger("indexer")["metadata"] == {"bootstrapServers": "kafka.example.com:9092",
                                              "consumerGroup": "indexer", "topic": "events", "lagThreshold": "100"}
    assert trigger("importer")["metadata"] == {"queueURL": SQS_URL, "queueLength": "5", "awsRegion": "eu-west-1",
                                               "identityOwner": "operator"}
    assert not objects(scaled, "TriggerAuthentication", "importer") and not objects(scaled, "TriggerAuthentication",
                                                                                   "indexer")


def test_keda_objects_match_their_published_schemas_and_the_deployer_may_apply_them(scaled):
    for kind in ("ScaledObject", "TriggerAuthentication"):
        assert_match_crd_schemas(objects(scaled, kind))
    rules = find_object(scaled, "Role", "deployer")["rules"]
    assert deployer_grant("keda.sh", "scaledobjects", "triggerauthentications") in rules
