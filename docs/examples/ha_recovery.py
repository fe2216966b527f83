# docs/examples/ha_recovery.py
from shipform import (ApiServer, App, Backup, DataStorage, Environment, Ha, Issuer, Recovery, S3Target, SecretRef,
                      SecureNamespace, StatefulDB)

app = App("ledger", registry="ghcr.io/acme", version="1.4.2")
prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"),
                   data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3"}))
ns = SecureNamespace(prod, "ledger")
# A new cluster from the backups 'db' left in the bucket, replayed up to 09:30 UTC; its own go to the folder 'db-2'.
StatefulDB(ns, "db", engine="postgres", version="16", storage="20Gi",
           backup=Backup(schedule="0 3 * * *", to=S3Target("acme-ledger-backups")),
           ha=Ha(api_server=ApiServer(cidrs=["10.0.0.2/32"], port=443),
                 access_key_id=SecretRef("pg-s3", "ACCESS_KEY_ID"),
                 secret_access_key=SecretRef("pg-s3", "ACCESS_SECRET_KEY"), server_name="db-2",
                 recovery=Recovery(source="db", target_time="2026-03-01T09:30:00Z")))

if __name__ == "__main__":
    app.synth()
