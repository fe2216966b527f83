# docs/examples/databases.py
from shipform import App, Backup, Environment, Health, Issuer, SecureNamespace, StatefulDB, WebService

app = App("data", registry="ghcr.io/acme", version="1.4.2")
prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"))   # the databases' certificates
ns = SecureNamespace(prod, "shop")
db = StatefulDB(ns, "db", engine="postgres", version="16", storage="20Gi",
                backup=Backup(schedule="0 3 * * *", retention=7))
cache = StatefulDB(ns, "cache", engine="redis", version="7.4", storage="1Gi")
api = WebService(ns, "api", image="ghcr.io/acme/api:1.4.2", port=8000, health=Health.http("/healthz"),
                 connects_to=[db, cache])

if __name__ == "__main__":
    app.synth()
