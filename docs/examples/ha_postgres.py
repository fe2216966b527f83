# docs/examples/ha_postgres.py
from shipform import (ApiServer, App, Backup, DataStorage, Environment, Ha, Issuer, Monitoring, S3Target, SecretRef,
                      SecureNamespace, StatefulDB, WebService)

app = App("ledger", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), monitoring=Monitoring(),
                   data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3"}))

for env in (dev, prod):
    ns = SecureNamespace(env, "ledger")
    # prod: a primary and two streaming replicas on three nodes, barman's backups in the bucket; compose: one server.
    ha = Ha(api_server=ApiServer(cidrs=["10.0.0.2/32"], port=443),
            access_key_id=SecretRef("pg-s3", "ACCESS_KEY_ID"),
            secret_access_key=SecretRef("pg-s3", "ACCESS_SECRET_KEY")) if env is prod else None
    db = StatefulDB(ns, "db", engine="postgres", version="16", storage="20Gi", ha=ha,
                    backup=Backup(schedule="0 3 * * *", to=S3Target("acme-ledger-backups") if env is prod else None))
    WebService(ns, "api", image="ghcr.io/acme/ledger-api:1.4.2", port=8000, connects_to=[db])

if __name__ == "__main__":
    app.synth()
