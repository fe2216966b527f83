"""The orders app: built from Acme's construct library (examples/acme-constructs), installed as a package.

The same composite, PythonApiWithDb, runs three times: twice in the sales namespace (carts, orders) and once
in billing (orders again). Each instance's objects are named from its path below the namespace (carts-api,
orders-db, ...); compose, which has one namespace, tells the two 'orders' apart as sales-orders-* and
billing-orders-*. The orders API sends order events to a Knative Eventing Broker, where a notifier receives them
beside a morning digest tick and the warehouse's stock records from its Kafka.
"""

from acme_constructs import HardenedApi, PythonApiWithDb

from shipform import (
    ApiServer,
    App,
    Broker,
    Build,
    DataStorage,
    Destination,
    Environment,
    External,
    Ha,
    Health,
    Issuer,
    KafkaSasl,
    KafkaSource,
    KnativeServing,
    LogShipper,
    Loki,
    On,
    PingSource,
    PullSecret,
    Quota,
    S3Target,
    SecretRef,
    SecretStore,
    SecureNamespace,
    Serverless,
    Subject,
    Telemetry,
    Toleration,
    WebService,
)

app = App("orders", registry="ghcr.io/acme", version="2.3.0", repository="https://github.com/acme/orders.git",
          workflows="output")  # this repository does not run the reference apps' pipelines
dev = Environment(app, "dev", local=True, domain="dev.orders.example.com")
# prod runs in a cluster of its own ('prod'), whose Flux applies it, and sends traces, metrics and logs to the
# cluster's OpenTelemetry Collector; its databases serve TLS with certificates from the cluster's internal CA, and
# their clients verify them; their volumes come from a StorageClass that retains them. The platform puts the image
# pull secret for GHCR (ghcr-pull) into each namespace. Knative Serving runs the notifier, none while no event comes.
prod = Environment(app, "prod", replicas=2, domain="orders.example.com", cluster_issuer="letsencrypt",
                   gitops="flux", destination=Destination(name="prod"), secret_store=SecretStore("vault"),
                   pull_secret=PullSecret("ghcr-pull", existing=True),
                   telemetry=Telemetry(), tls_issuer=Issuer(name="internal-ca"),
                   data_storage=DataStorage("pd.csi.storage.gke.io", {"type": "pd-ssd"}), knative=KnativeServing())

API = ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
API_SERVER = ApiServer(cidrs=["10.0.0.2/32"])
"""prod's control plane (GKE's private endpoint), which the log shipper and the ledger's instances reach."""

for env in (dev, prod):
    # Flux applies prod as the account it impersonates (flux-<app>-<env>), Argo CD dev as its controller.
    deployers = [Subject.service_account("flux-system", "flux-orders-prod") if env is prod
                 else Subject.service_account("argocd", "argocd-application-controller")]
    sales = SecureNamespace(env, "sales", quota=Quota(cpu_limit="24", memory_limit="48Gi"), deployers=deployers)
    billing = SecureNamespace(env, "billing", accepts_from=[sales], quota=Quota(cpu_limit="12", memory_limit="24Gi"),
                              deployers=deployers)
    # prod's dumps go to a bucket, with keys that may only upload and keys that may only read them back.
    offsite = S3Target("acme-orders-backups", credentials=SecretRef("backup-s3", "credentials"),
                       restore_credentials=SecretRef("restore-s3", "credentials")) if env is prod else None
    # prod's ledger is highly available: a CloudNativePG cluster of three (a primary, two streaming replicas on other
    # nodes), whose barman writes base backups and WAL to the same bucket with keys of its own.
    ha = Ha(api_server=API_SERVER, access_key_id=SecretRef("barman-s3", "ACCESS_KEY_ID"),
            secret_access_key=SecretRef("barman-s3", "ACCESS_SECRET_KEY")) if env is prod else None
    ledger = PythonApiWithDb(billing, "orders", source="services/api", command=API, migrate=["python", "-m", "migrate"],
                             backup_to=S3Target("acme-orders-backups") if env is prod else None, ha=ha)
    carts = PythonApiWithDb(sales, "carts", source="services/api", command=API, backup_to=offsite)
    orders = PythonApiWithDb(sales, "orders", source="services/api", command=API, connects_to=[carts.api, ledger.api],
                             migrate=["python", "-m", "migrate"], backup_to=offsite)
    HardenedApi(sales, "storefront", build=Build.python("services/api", API), public=True,
                connects_to=[orders.api, carts.api])
    # Order events go through a Knative Eventing Broker in a namespace of their own: the orders API sends each one
    # (K_SINK), a schedule ticks the morning digest, a KafkaSource turns the warehouse's stock records into events
    # (SASL/SCRAM over TLS, credentials from Secrets). The notifier receives them by Triggers: a Knative service in
    # prod (cluster-local: any pod reaching Knative's gateway could call it; it acts on CloudEvents alone), a
    # Deployment in dev that admits the Broker's filter pods.
    notify = SecureNamespace(env, "notify", quota=Quota(cpu_limit="8", memory_limit="16Gi"), deployers=deployers)
    events = Broker(notify, "orders")
    orders.api.connects_to.append(events)
    digest = PingSource(notify, "digest", schedule="0 7 * * *", time_zone="Europe/Berlin", to=events,
                        data='{"digest": "daily"}')
    warehouse = External(notify, "warehouse-kafka", host="kafka.warehouse.example.com", port=9093)
    stock = KafkaSource(notify, "stock", servers=[warehouse], topics=["stock-levels"], to=events,
                        sasl=KafkaSasl(user=SecretRef("warehouse-kafka", "user"),
                                       password=SecretRef("warehouse-kafka", "password"),
                                       mechanism=SecretRef("warehouse-kafka", "mechanism")))
    WebService(notify, "notifier", image_of=orders.api, command=["gunicorn", "-b", "0.0.0.0:8080", "notifier:app"],
               port=8080,
               health=Health.http("/healthz"), events=[On(events, type="com.acme.order.placed"), On(digest), On(stock)],
               serverless=Serverless(max=3) if env is prod else None,
               accepted_risks={"knativeSharedGateway": "it acts on CloudEvents from the Broker alone and answers any "
                                                       "other request with 400"})
# prod ships every node's container logs to Loki (JSON lines become fields), read-only from the node, with a
# push token from Vault; the control plane's endpoints are at 10.0.0.2 (GKE's private endpoint).
logging = SecureNamespace(prod, "logging", host_access="the log shipper reads every node's container logs",
                          quota=Quota(cpu_limit="12", memory_limit="8Gi"),
                          deployers=[Subject.service_account("flux-system", "flux-orders-prod")])
loki = External(logging, "loki", host="logs.acme.example.com", port=443, scheme="https")
LogShipper(logging, "logs", to=Loki(at=loki, tenant="orders", user="orders-prod",
                                    password=SecretRef("loki-push", "token")),
           api_server=API_SERVER, tolerations=[Toleration.everything()],
           priority_class="system-node-critical")

if __name__ == "__main__":
    app.synth()
