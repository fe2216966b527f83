"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): Knative Eventing. A subscription
without a filter, or that says what a source says itself; a Broker, source or subscriber in the wrong place; a
schedule the ping adapter (robfig/cron) refuses, data its webhook refuses; Kafka without servers, topics, or with
credentials it cannot use (TLS without SASL needs a client certificate). A subscriber is named by reference
(``On(broker, ...)``), so an unknown service name cannot be written; a Worker has no ``events`` (Triggers deliver
over HTTP to a service's port)."""

from __future__ import annotations

BUS = 'bus = Broker(dev, "bus")\n'
SUB = 'WebService(dev, "notify", image="nginx:1.27.3", port=8080, '
KAFKA = 'KafkaSource(dev, "feed", to=bus, '

EVENT_CASES = [
    ("events-on-a-worker", BUS + 'Worker(dev, "w", image="busybox:1.37.0", events=[On(bus, type="a")])',
     "shop/dev/w", "events"),
    ("events-without-a-filter", BUS + SUB + 'events=[On(bus)])', "shop/dev/notify", "events[0]"),
    ("events-of-a-service", 'api = WebService(dev, "api", image="nginx:1.27.3", port=80)\n' + SUB
     + 'events=[On(api, type="a")])', "shop/dev/notify", "events[0].of"),
    ("events-not-on", BUS + SUB + 'events=["order.created"])', "shop/dev/notify", "events[0]"),
    ("events-filter-on-a-source-that-sets-it", BUS + 'tick = PingSource(dev, "tick", schedule="@hourly", to=bus)\n'
     + SUB + 'events=[On(tick, type="dev.knative.sources.ping")])', "shop/dev/notify", "events[0]"),
    ("events-attribute-name-not-cloudevents", BUS + SUB + 'events=[On(bus, attributes={"Tenant": "acme"})])',
     "shop/dev/notify", "events[0].attributes"),
    ("events-attribute-name-starting-with-a-digit", BUS + SUB + 'events=[On(bus, attributes={"2fa": "on"})])',
     "shop/dev/notify", "events[0].attributes"),
    ("events-type-empty", BUS + SUB + 'events=[On(bus, type="")])', "shop/dev/notify", "events[0].type"),
    ("events-repeated", BUS + SUB + 'events=[On(bus, type="a"), On(bus, type="a")])', "shop/dev/notify",
     "events[1]"),
    ("events-from-a-broker-of-another-namespace", 'ns = SecureNamespace(dev, "bus")\nbus = Broker(ns, "bus")\n'
     + SUB + 'events=[On(bus, type="a")])', "shop/dev/notify", "events[0]"),
    ("events-from-brokers-of-two-eventing-namespaces", BUS + 'other = Broker(dev, "other", eventing_namespace='
     '"eventing")\n' + SUB + 'events=[On(bus, type="a"), On(other, type="b")])', "shop/dev/notify", "events"),
    ("broker-in-the-mesh", 'm = Environment(app, "meshed", mesh=Mesh())\nns = SecureNamespace(m, "shop", '
     'mesh="istio")\nBroker(ns, "bus")', "shop/meshed/shop/bus", "namespace"),
    ("broker-eventing-namespace-not-a-name", 'Broker(dev, "bus", eventing_namespace="Knative Eventing")',
     "shop/dev/bus", "eventing_namespace"),
    ("two-brokers-give-one-k-sink", BUS + 'other = Broker(dev, "other")\nWebService(dev, "api", '
     'image="nginx:1.27.3", port=80, connects_to=[bus, other])', "shop/dev/api", "connects_to"),
    ("ping-schedule-day-of-week-7", BUS + 'PingSource(dev, "tick", schedule="0 3 * * 7", to=bus)',
     "shop/dev/tick", "schedule"),
    ("ping-schedule-not-cron", BUS + 'PingSource(dev, "tick", schedule="every hour", to=bus)', "shop/dev/tick",
     "schedule"),
    ("ping-time-zone-unknown", BUS + 'PingSource(dev, "tick", schedule="@daily", time_zone="Mars/Olympus", to=bus)',
     "shop/dev/tick", "time_zone"),
    ("ping-data-not-json", BUS + 'PingSource(dev, "tick", schedule="@daily", to=bus, data="daily digest")',
     "shop/dev/tick", "data"),
    ("ping-data-json-not-an-object", BUS + 'PingSource(dev, "tick", schedule="@daily", to=bus, data=\'["daily"]\')',
     "shop/dev/tick", "data"),
    ("ping-to-a-service", 'api = WebService(dev, "api", image="nginx:1.27.3", port=80)\n'
     'PingSource(dev, "tick", schedule="@daily", to=api)', "shop/dev/tick", "to"),
    ("source-beside-a-broker-of-another-namespace", 'ns = SecureNamespace(dev, "bus")\nbus = Broker(ns, "bus")\n'
     'PingSource(dev, "tick", schedule="@daily", to=bus)', "shop/dev/tick", "to"),
    ("kafka-source-without-servers", BUS + KAFKA + 'servers=[], topics=["orders"])', "shop/dev/feed", "servers"),
    ("kafka-source-server-without-a-port", BUS + KAFKA + 'servers=["kafka.example.com"], topics=["orders"])',
     "shop/dev/feed", "servers[0]"),
    ("kafka-source-server-of-another-environment", BUS + 'k = External(prod, "kafka", host="kafka.example.com", '
     'port=9093)\n' + KAFKA + 'servers=[k], topics=["orders"])', "shop/dev/feed", "servers[0]"),
    ("kafka-source-without-topics", BUS + KAFKA + 'servers=["kafka:9092"], topics=[])', "shop/dev/feed", "topics"),
    ("kafka-source-topic-with-a-space", BUS + KAFKA + 'servers=["kafka:9092"], topics=["new orders"])', "shop/dev/feed",
     "topics"),
    ("kafka-source-consumer-group-with-a-slash", BUS + KAFKA + 'servers=["kafka:9092"], topics=["orders"], '
     'consumer_group="shop/orders")', "shop/dev/feed", "consumer_group"),
    ("kafka-source-ca-cert-without-tls", BUS + KAFKA + 'servers=["kafka:9092"], topics=["orders"], tls=False, '
     'ca_cert=SecretRef("kafka", "ca.crt"))', "shop/dev/feed", "ca_cert"),
    ("kafka-source-sasl-user-not-a-secret-name", BUS + KAFKA + 'servers=["kafka:9092"], topics=["orders"], '
     'sasl=KafkaSasl(user=SecretRef("Kafka Creds", "user"), password=SecretRef("kafka", "password")))',
     "shop/dev/feed", "sasl.user.name"),
    ("kafka-source-tls-without-sasl-or-client-certificate", BUS + KAFKA + 'servers=["kafka:9093"], topics=["orders"])',
     "shop/dev/feed", "sasl"),
    ("kafka-source-client-cert-without-its-key", BUS + KAFKA + 'servers=["kafka:9093"], topics=["orders"], '
     'client_cert=SecretRef("kafka", "user.crt"))', "shop/dev/feed", "client_key"),
    ("kafka-source-client-cert-without-tls", BUS + KAFKA + 'servers=["kafka:9092"], topics=["orders"], tls=False, '
     'client_cert=SecretRef("kafka", "user.crt"), client_key=SecretRef("kafka", "user.key"))', "shop/dev/feed",
     "client_cert"),
]
