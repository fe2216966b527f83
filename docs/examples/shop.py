# docs/examples/shop.py
from shipform import (App, AwsRole, Backup, Build, CronJob, DataStorage, Environment, Health, Issuer, Migration,
                      Quota, S3Target, SecretRef, SecureNamespace, StatefulDB, Subject, WebService, Worker)

app = App("shop", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True, domain="dev.shop.example.com")   # also becomes compose
prod = Environment(app, "prod", replicas=3, domain="shop.example.com", cluster_issuer="letsencrypt",
                   tls_issuer=Issuer(name="internal-ca"),   # databases serve TLS with its certificates
                   data_storage=DataStorage("ebs.csi.aws.com"))   # database volumes outlive their claims
offsite = S3Target("acme-shop-backups", identity=AwsRole("arn:aws:iam::123456789012:role/shop-backup"),
                   restore_identity=AwsRole("arn:aws:iam::123456789012:role/shop-restore"))

for env in (dev, prod):
    ns = SecureNamespace(env, "shop", quota=Quota(cpu_limit="16", memory_limit="32Gi"),
                         deployers=[Subject.service_account("argocd", "argocd-application-controller")])
    db = StatefulDB(ns, "db", engine="postgres", version="16", storage="20Gi",
                    backup=Backup(schedule="0 3 * * *", retention=7, to=offsite if env is prod else None))
    catalog = WebService(ns, "catalog", build=Build.go("services/catalog"), port=8080,
                         health=Health.http("/healthz"))
    api = WebService(ns, "api", build=Build.python("services/api", ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]),
                     port=8000, health=Health.http("/healthz"), connects_to=[catalog, db],
                     secrets={"SESSION_KEY": SecretRef("api-secrets", "session-key")},
                     config={"LOG_LEVEL": "debug" if env is dev else "info"},
                     files={"/etc/shop/api.toml": "services/api/config/api.toml"},
                     migrate=Migration(["python", "-m", "migrate"]))
    WebService(ns, "web", build=Build.node("services/web", ["node", "server.js"]), port=3000,
               health=Health.http("/healthz"), public=True, connects_to=[api])
    Worker(ns, "mailer", build=Build.python("services/mailer", ["python", "-m", "mailer"]), connects_to=[api],
           health=Health.exec(["python", "-m", "mailer.healthcheck"]))
    CronJob(ns, "report", schedule="0 6 * * *", image_of=api, command=["python", "-m", "report"],
            connects_to=[catalog])

if __name__ == "__main__":
    app.synth()
