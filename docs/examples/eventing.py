# docs/examples/eventing.py
from shipform import (
    App,
    Broker,
    Environment,
    External,
    Health,
    KafkaSasl,
    KafkaSource,
    KnativeServing,
    On,
    PingSource,
    SecretRef,
    SecureNamespace,
    Serverless,
    WebService,
)

app = App("events", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", knative=KnativeServing())
for env in (dev, prod):
    ns = SecureNamespace(env, "shop")
    orders = Broker(ns, "orders")
    digest = PingSource(ns, "digest", schedule="0 7 * * *", time_zone="Europe/Berlin", to=orders,
                        data='{"digest": "daily"}')
    warehouse = External(ns, "warehouse", host="kafka.warehouse.example.com", port=9093)
    login = KafkaSasl(user=SecretRef("warehouse", "user"), password=SecretRef("warehouse", "password"))
    stock = KafkaSource(ns, "stock", servers=[warehouse], topics=["stock-levels"], to=orders, sasl=login)
    WebService(ns, "api", image="ghcr.io/acme/api:1.4.2", port=8000, health=Health.http("/healthz"),
               connects_to=[orders])
    WebService(ns, "notifier", image="ghcr.io/acme/notifier:1.4.2", port=8080, health=Health.http("/healthz"),
               events=[On(orders, type="com.acme.order.placed"), On(digest), On(stock)],
               serverless=Serverless(max=3) if env is prod else None,
               accepted_risks={"knativeSharedGateway": "it acts on CloudEvents from the Broker alone"})

if __name__ == "__main__":
    app.synth()
