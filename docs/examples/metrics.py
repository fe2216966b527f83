# docs/examples/metrics.py
from shipform import App, Environment, Health, Metrics, Monitoring, SecureNamespace, WebService

app = App("metrics", registry="ghcr.io/acme", version="1.4.2")
prod = Environment(app, "prod", monitoring=Monitoring(labels={"release": "kube-prometheus-stack"}))
ns = SecureNamespace(prod, "shop")
catalog = WebService(ns, "catalog", image="ghcr.io/acme/catalog:1.4.2", health=Health.http("/healthz"),
                     ports={"http": 8080, "metrics": 9090},
                     metrics=Metrics(port="metrics", path="/metrics", interval="30s"))

if __name__ == "__main__":
    app.synth()
