"""Knative Eventing: a Broker that workloads send to (``connects_to=[broker]``: K_SINK and egress to the broker
ingress pods alone), sources that feed it (PingSource, KafkaSource, their sink the Broker), and Triggers for a
service's ``events=[On(...)]`` (exact filters; a Knative service by reference, any other by its Service's URL, whose
pods then admit the broker filter pods alone). Compose says what a local run lacks; `shipform graph` draws source ->
broker -> subscriber. Every object is checked against its published CRD schema
(shipform/validators/crd_schemas/{eventing,sources}.knative.dev)."""

from __future__ import annotations

import pytest
import yaml

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import (
    App,
    Broker,
    DataStorage,
    Environment,
    External,
    Health,
    Issuer,
    KafkaSasl,
    KafkaSource,
    KnativeServing,
    On,
    PingSource,
    Quota,
    SecretRef,
    SecretStore,
    SecureNamespace,
    Serverless,
    Subject,
    WebService,
    Worker,
)
from shipform.render.graph import environment_graph
from shipform.testing import find_object, objects, synthesize

FILTER_PODS = {"eventing.knative.dev/brokerRole": "filter"}
INGRESS_PODS = {"eventing.knative.dev/brokerRole": "ingress"}
RISK = {"knativeSharedGateway": "it acts on CloudEvents from the Broker alone"}


def build(root):
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", domain="example.com", knative=KnativeServing(), secret_store=SecretStore("vault"),
                       tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    dev = Environment(app, "dev", local=True, domain="dev.example.com")
    for env in (dev, prod):
        ns = SecureNamespace(env, "shop", deployers=[Subject.group("deployers")],
                             quota=Quota(cpu_limit="16", memory_limit="32Gi"))
        events = Broker(ns, "events", eventing_namespace="eventing")
        kafka = External(ns, "kafka", host="kafka.example.com", port=9093, cidrs=["203.0.113.0/24"])
        nightly = PingSource(ns, "nightly", schedule="0 3 * * *", time_zone="Europe/Berlin", to=events,
                             data='{"report": "daily"}')
        feed = KafkaSource(ns, "feed", servers=[kafka, "kafka-2.example.com:9093"], topics=["orders", "refunds"],
                           to=events, ca_cert=SecretRef("kafka", "ca.crt"),
                           sasl=KafkaSasl(user=SecretRef("kafka", "user"), password=SecretRef("kafka", "password"),
                                          mechanism=SecretRef("kafka", "mechanism")))
        WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[events])
        Worker(ns, "sender", image="busybox:1.37.0", connects_to=[events],
               health=Health.none("sends and exits when the broker is gone"))
        WebService(ns, "notify", image="nginx:1.27.3", port=8080, accepted_risks=RISK,
                   events=[On(events, type="order.created", attributes={"tenant": "acme"}), On(nightly), On(feed)],
                   serverless=Serverless() if env is prod else None)
        WebService(ns, "audit", image="nginx:1.27.3", port=9000, events=[On(events, source="/shop/api")])
    return app


@pytest.fixture(scope="module")
def app(module_app_root):
    return build(module_app_root)


@pytest.fixture(scope="module")
def out(app):
    return synthesize(app)


def test_a_trigger_per_filter_delivers_to_the_knative_service_by_reference(out):
    """One Trigger per On (one per topic of a KafkaSource), numbered in order, each an exact filter."""
    found = {t["metadata"]["name"]: t["spec"] for t in objects(out, "Trigger", env="prod")
             if t["metadata"]["name"].startswith("notify-")}
    knative = {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "notify"}}
    assert found == {
        "notify-1": {"broker": "events", "filter": {"attributes": {"tenant": "acme", "type": "order.created"}},
                     "subscriber": knative},
        "notify-2": {"broker": "events", "filter": {"attributes": {
            "source": "/apis/v1/namespaces/shop/pingsources/nightly", "type": "dev.knative.sources.ping"}},
            "subscriber": knative},
        "notify-3": {"broker": "events", "filter": {"attributes": {
            "source": "/apis/v1/namespaces/shop/kafkasources/feed#orders", "type": "dev.knative.kafka.event"}},
            "subscriber": knative},
        "notify-4": {"broker": "events", "filter": {"attributes": {
            "source": "/apis/v1/namespaces/shop/kafkasources/feed#refunds", "type": "dev.knative.kafka.event"}},
            "subscriber": knative}}
    assert all(t["metadata"]["namespace"] == "shop" for t in objects(out, "Trigger", env="prod"))


def test_a_service_that_is_not_serverless_gets_its_events_at_its_main_port(out):
    """A reference to a Kubernetes Service resolves to port 80: the subscriber is the Service's URL on its port."""
    for env, name in (("dev", "notify-1"), ("prod", "audit-1"), ("dev", "audit-1")):
        subscriber = find_object(out, "Trigger", name, env=env)["spec"]["subscriber"]
        service = name.partition("-")[0]
        port = {"notify": 8080, "audit": 9000}[service]
        assert subscriber == {"uri": f"http://{service}.shop.svc.cluster.local:{port}"}


def test_sources_send_to_the_broker(out):
    broker = find_object(out, "Broker", "events", env="prod")
    assert broker["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == "MTChannelBasedBroker"
    sink = {"ref": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": "events"}}
    ping = find_object(out, "PingSource", "nightly", env="prod")
    assert ping["apiVersion"] == "sources.knative.dev/v1"
    assert ping["spec"] == {"schedule": "0 3 * * *", "timezone": "Europe/Berlin", "data": '{"report": "daily"}',
                            "contentType": "application/json", "sink": sink}
    kafka = find_object(out, "KafkaSource", "feed", env="prod")
    assert kafka["apiVersion"] == "sources.knative.dev/v1beta1"
    secret = {key: {"secretKeyRef": {"name": "kafka", "key": key}} for key in ("user", "password", "mechanism")}
    assert kafka["spec"] == {
        "bootstrapServers": ["kafka.example.com:9093", "kafka-2.example.com:9093"], "topics": ["orders", "refunds"],
        "consumerGroup": "shop-shop-feed", "sink": sink,
        "net": {"tls": {"enable": True, "caCert": {"secretKeyRef": {"name": "kafka", "key": "ca.crt"}}},
                "sasl": {"enable": True, "user": secret["user"], "password": secret["password"],
                         "type": secret["mechanism"]}}}


def test_the_kafka_credentials_are_synced_like_any_referenced_secret(out):
    synced = find_object(out, "ExternalSecret", "kafka", env="prod")
    assert sorted(d["secretKey"] for d in synced["spec"]["data"]) == ["ca.crt", "mechanism", "password", "user"]


def test_a_subscriber_admits_exactly_the_broker_filter_pods_on_its_main_port(out):
    for env, name, port in (("dev", "notify", 8080), ("prod", "audit", 9000)):
        ingress = find_object(out, "NetworkPolicy", name, env=env)["spec"]["ingress"]
        assert ingress == [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "eventing"}},
                                      "podSelector": {"matchLabels": FILTER_PODS}}],
                            "ports": [{"port": port, "protocol": "TCP"}]}]
    # A Knative service gets its events through Knative's gateway and activator, which it admits already.
    ingress = find_object(out, "NetworkPolicy", "notify", env="prod")["spec"]["ingress"]
    assert [r["from"][0]["podSelector"]["matchLabels"] for r in ingress] == [
        {"app": "3scale-kourier-gateway"}, {"app": "activator"}, {"app": "autoscaler"}]


def test_an_emitter_gets_k_sink_and_reaches_the_broker_ingress_pods_alone(out):
    url = "http://broker-ingress.eventing.svc.cluster.local/shop/events"
    for env in ("dev", "prod"):
        for kind, name in (("Deployment", "api"), ("Deployment", "sender")):
            container = find_object(out, kind, name, env=env)["spec"]["template"]["spec"]["containers"][0]
            assert {"name": "K_SINK", "value": url} in container["env"]
        egress = find_object(out, "NetworkPolicy", "api", env=env)["spec"]["egress"]
        plane = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "eventing"}}}
        assert egress[1:] == [{"to": [{**plane, "podSelector": {"matchLabels": INGRESS_PODS}}],
                               "ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_compose_runs_no_broker_and_says_so(out):
    services = yaml.safe_load(out["compose/compose.yaml"])["services"]
    assert set(services) == {"api", "sender", "notify", "audit"}
    api = services["api"]
    assert "K_SINK" not in api.get("environment", {}) and api["network_mode"] == "none"
    assert api["labels"] == {
        "dev.shipform.events": "Knative Eventing runs in Kubernetes only: compose has no Broker, delivers no event "
                               "and sets no K_SINK", "dev.shipform.events.sends-to": "shop/events"}
    labels = services["notify"]["labels"]
    assert {k: v for k, v in labels.items() if k != "dev.shipform.events"} == {
        "dev.shipform.events.notify-1": "Broker events, tenant=acme type=order.created",
        "dev.shipform.events.notify-2": "Broker events, events of nightly",
        "dev.shipform.events.notify-3": "Broker events, events of feed topic orders",
        "dev.shipform.events.notify-4": "Broker events, events of feed topic refunds"}


def test_the_graph_draws_source_broker_subscriber(app):
    env = next(e for e in app.to_spec().environments if e.name == "prod")
    edges = {(e.source, e.target, e.label) for e in environment_graph(env).edges}
    ns, broker = "shop/prod/shop", "shop/prod/shop/broker:events"
    assert {(f"{ns}/source:nightly", broker, "events"), (f"{ns}/source:feed", broker, "events"),
            (f"{ns}/source:feed", "shop/prod/external:shop/kafka", "9093/tcp"),
            (f"{ns}/source:feed", "shop/prod/kafka:kafka-2.example.com:9093", "9093/tcp"),
            (broker, f"{ns}/notify", "tenant=acme type=order.created"), (broker, f"{ns}/notify", "events of nightly"),
            (broker, f"{ns}/notify", "events of feed topic orders"), (broker, f"{ns}/audit", "source=/shop/api"),
            (f"{ns}/api", broker, "80/http via eventing"), (f"{ns}/sender", broker, "80/http via eventing")} <= edges


def test_the_deployers_may_apply_the_eventing_objects(out):
    rules = find_object(out, "Role", "deployer", env="prod")["rules"]
    assert deployer_grant("eventing.knative.dev", "brokers", "triggers") in rules
    assert deployer_grant("sources.knative.dev", "kafkasources", "pingsources") in rules


def test_every_eventing_object_matches_its_published_schema(out):
    for env in ("dev", "prod"):
        found = [o for kind in ("Broker", "Trigger", "PingSource", "KafkaSource") for o in objects(out, kind, env=env)]
        assert {o["kind"] for o in found} == {"Broker", "Trigger", "PingSource", "KafkaSource"}
        assert_match_crd_schemas(found)


def test_the_secrets_script_asks_for_the_kafka_credentials_naming_their_reader(app):
    from shipform.render.secret_commands import kubectl_create_commands

    dev = next(e for e in app.to_spec().environments if e.name == "dev")
    script = "\n".join(kubectl_create_commands(dev))
    for key in ("user", "password", "mechanism", "ca.crt"):
        assert f"Secret kafka, key {key}, read by KafkaSource shop/feed" in script


def test_a_cluster_that_authenticates_clients_by_tls_gets_the_client_certificate(app_root):
    """Over TLS without SASL the Kafka data plane always presents a client certificate (eventing-kafka-broker's
    CredentialsValidator: protocol SSL needs user.crt and user.key; a KafkaSource cannot skip them), so the
    certificate and key are props, written as net.tls.cert and net.tls.key, and read in the source's namespace."""
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod")
    ns = SecureNamespace(env, "shop")
    bus = Broker(ns, "bus")
    KafkaSource(ns, "feed", servers=["kafka.example.com:9093"], topics=["orders"], to=bus,
                client_cert=SecretRef("kafka-client", "user.crt"), client_key=SecretRef("kafka-client", "user.key"))
    source = find_object(synthesize(app), "KafkaSource", "feed", env="prod")
    ref = {field: {"secretKeyRef": {"name": "kafka-client", "key": key}}
           for field, key in (("cert", "user.crt"), ("key", "user.key"))}
    assert source["spec"]["net"]["tls"] == {"enable": True, **ref}
    assert_match_crd_schemas([source])


@pytest.mark.parametrize("data", ['{"digest": "daily"}', "{}"])
def test_ping_data_under_application_json_is_a_json_object(app_root, data):
    """Knative's webhook unmarshals application/json data into a map: an object passes, an array or a bare value
    is refused (pinned in the bad-input table)."""
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    ns = SecureNamespace(Environment(app, "prod"), "shop")
    PingSource(ns, "tick", schedule="@daily", to=Broker(ns, "bus"), data=data)
    assert find_object(synthesize(app), "PingSource", "tick", env="prod")["spec"]["data"] == data
