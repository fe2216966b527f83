"""The reference shop: a Node web front end, a Python API with a schema migration, a nightly report and a
payment provider outside the cluster, a Go catalog with a metrics port, a Python mail worker with its spool on
a volume, a search indexer fed by a Redis list, Postgres with nightly backups and a Redis cache, each Environment
in its own SecureNamespace. Secrets are created by hand in dev and synced from Vault in prod, the image pull secret
for GHCR too. In prod the namespace is in the Istio mesh, the catalog rolls out as a canary judged by its error
rate, and KEDA scales the indexer by its queue, down to none."""

from shipform import (
    Analysis,
    App,
    Autoscale,
    AwsRole,
    Backup,
    Build,
    Canary,
    CronJob,
    DataStorage,
    Destination,
    Drill,
    Environment,
    External,
    Health,
    Keda,
    Latency,
    Mesh,
    Metrics,
    Migration,
    Monitoring,
    PagerDuty,
    PullSecret,
    Queue,
    Quota,
    Receivers,
    Resources,
    S3Target,
    Scratch,
    SecretRef,
    SecretStore,
    SecureNamespace,
    Slack,
    Slo,
    StatefulDB,
    Subject,
    Volume,
    WebService,
    Worker,
)

app = App("shop", registry="ghcr.io/acme", version="1.4.2", repository="https://github.com/acme/shop.git",
          workflows="output",  # this repository does not run the reference apps' pipelines
          keep_images_days=30)  # a weekly cleanup deletes unused sha- tags a month old
dev = Environment(app, "dev", local=True, domain="dev.shop.example.com")
# prod runs in a cluster of its own, registered in Argo CD as 'prod' (dev and prod both own namespace shop), with
# kube-prometheus-stack (scraped services get a ServiceMonitor, every namespace default alerts), Argo
# Rollouts, KEDA and Istio, and PriorityClasses of its own (databases first, then services, then the
# background); KEDA's namespace is in the mesh, so the Redis queue admits its operator by identity.
# Its databases are in the mesh too, whose mutual TLS encrypts every connection to them: no certificates of their own.
# Critical alerts page the on-call through PagerDuty, the rest reach a Slack channel; both keys come from Vault.
alerting = Receivers(critical=[PagerDuty(routing_key=SecretRef("alerting", "pagerduty-routing-key"))],
                     warning=[Slack(webhook=SecretRef("alerting", "slack-webhook"), channel="#shop-alerts")])
prod = Environment(app, "prod", replicas=3, domain="shop.example.com", cluster_issuer="letsencrypt",
                   destination=Destination(name="prod"),
                   secret_store=SecretStore("vault"), pull_secret=PullSecret("ghcr-pull"),
                   monitoring=Monitoring(labels={"release": "kube-prometheus-stack"}, receivers=alerting),
                   rollouts="argo", keda=Keda(in_mesh=True), mesh=Mesh(), priority_classes=True,
                   data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3", "encrypted": "true"}))
# The share of the catalog's new version's requests that fail (its pods carry their revision as a label).
ERROR_RATE = ('sum(rate(catalog_http_requests_total{namespace="{{args.namespace}}", code=~"5..", '
              'rollouts_pod_template_hash="{{args.revision}}"}[2m]))\n/ sum(rate(catalog_http_requests_total{'
              'namespace="{{args.namespace}}", rollouts_pod_template_hash="{{args.revision}}"}[2m]))')

for env in (dev, prod):
    ns = SecureNamespace(
        env, "shop",
        quota=Quota(cpu="12", memory="24Gi", cpu_limit="48", memory_limit="64Gi", pods=60),
        mesh="istio" if env is prod else None,
        deployers=[Subject.service_account("argocd", "argocd-application-controller")],
        viewers=[Subject.group("shop-developers")],
    )
    # Backups stay on a volume in dev and go to an S3 bucket in prod, uploaded and read back as IAM roles (IRSA):
    # no keys at all, an upload that may only write, a restore that may only read. Every Sunday, two hours after
    # the backup, a drill restores the newest dump into a scratch server and checks it (the restored database has
    # the app's tables), with the restore's read-only role: a failed drill is a failed Job and a critical alert.
    offsite = S3Target(bucket="acme-shop-backups", encryption="aws:kms", kms_key="alias/shop-backups",
                       identity=AwsRole("arn:aws:iam::123456789012:role/shop-backup"),
                       restore_identity=AwsRole("arn:aws:iam::123456789012:role/shop-restore"))
    db = StatefulDB(ns, "db", engine="postgres", version="16", storage="20Gi",
                    backup=Backup(schedule="0 3 * * *", retention=7, to=offsite if env is prod else None,
                                  drill=Drill(schedule="0 5 * * 0")))
    cache = StatefulDB(ns, "cache", engine="redis", version="7.4", storage="1Gi")
    catalog = WebService(ns, "catalog", build=Build.go("services/catalog"), ports={"http": 8080, "metrics": 9090},
                         health=Health.http("/healthz"), metrics=Metrics(port="metrics", path="/metrics"),
                         strategy=Canary(steps=[20, "5m", 50, "5m"],
                                         analysis=Analysis(query=ERROR_RATE, success="result[0] < 0.05"))
                         if env is prod else None)
    # The payment provider is outside the cluster: clients reach it on 443 only, with its key as a file.
    payments = External(ns, "payments", host="api.payments.example.com", port=443, scheme="https",
                        secrets={"API_KEY": SecretRef("payments", "api-key")})
    api = WebService(
        ns, "api",
        # psycopg2 in requirements.txt: shipform adds gcc and libpq-dev to build it, libpq5 to run it.
        build=Build.python("services/api", ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "app:app"]),
        port=8000, health=Health.http("/healthz"), connects_to=[catalog, db, cache, payments],
        # Configuration by Environment is plain Python; the file is mounted, never baked into the image.
        config={"LOG_LEVEL": "debug" if env is dev else "info", "PAGE_SIZE": "50"},
        files={"/etc/shop/api.toml": "services/api/config/api.toml"},
        secrets={"SESSION_KEY": SecretRef("api-secrets", "session-key")},
        resources=Resources(cpu="250m", memory="256Mi", cpu_limit="1", memory_limit="512Mi"),
        migrate=Migration(["python", "-m", "migrate"]),
    )
    WebService(
        ns, "web", build=Build.node("services/web", ["node", "server.js"]), port=3000,
        health=Health.http("/healthz"), public=True, connects_to=[api],
        autoscale=Autoscale(min=3, max=10, cpu_percent=70) if env is prod else None,
        # Measured by ingress-nginx; alerted on in prod, where Prometheus runs (dev has no monitoring: no rules).
        slo=Slo(availability=0.999, latency=Latency(threshold="500ms", target=0.99)),
    )
    # One mailer, its spool on a volume that attaches to one node; web pages rendered for mail in scratch space.
    Worker(ns, "mailer", build=Build.python("services/mailer", ["python", "-m", "mailer"]), connects_to=[api],
           health=Health.exec(["python", "-m", "mailer.healthcheck"]), replicas=1,
           volumes={"/var/spool/mailer": Volume(size="2Gi"), "/var/cache/mailer": Scratch(size="256Mi")})
    # Indexing jobs wait in a Redis list; in prod KEDA runs a replica per five of them, none while it is empty, on
    # spot nodes (a reclaimed one's jobs wait in the list for the next replica).
    Worker(ns, "indexer", image_of=api, command=["python", "-m", "indexer"], connects_to=[cache],
           health=Health.exec(["python", "-m", "indexer", "check"]), capacity="spot" if env is prod else "on-demand",
           scale_on=Queue(on=cache, name="index-jobs", max=4) if env is prod else None)
    CronJob(ns, "report", schedule="0 6 * * *", time_zone="Europe/Berlin", image_of=api,
            command=["python", "-m", "report"], connects_to=[catalog.on("http")])  # metrics: Prometheus' alone

if __name__ == "__main__":
    app.synth()
