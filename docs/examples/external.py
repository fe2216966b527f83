# docs/examples/external.py
from shipform import App, Environment, External, Health, SecretRef, SecureNamespace, WebService

app = App("outside", registry="ghcr.io/acme", version="1.4.2")
prod = Environment(app, "prod")
ns = SecureNamespace(prod, "shop")
payments = External(ns, "payments", host="api.payments.example.com", port=443, scheme="https",
                    secrets={"API_KEY": SecretRef("payments", "api-key")})
ledger = External(ns, "ledger", host="10.40.0.12", port=5432, cidrs=["10.40.0.0/24"], engine="postgres",
                  user="app", database="ledger", tls_ca=SecretRef("rds-ca", "ca.pem"))
WebService(ns, "api", image="ghcr.io/acme/api:1.4.2", port=8000, health=Health.http("/healthz"),
           connects_to=[payments, ledger])

if __name__ == "__main__":
    app.synth()
