# docs/examples/canary.py
from shipform import (Analysis, App, BlueGreen, Canary, Environment, Health, Metrics, Monitoring,
                      SecureNamespace, WebService)

app = App("rollouts", registry="ghcr.io/acme", version="1.4.2")
prod = Environment(app, "prod", rollouts="argo", monitoring=Monitoring(), domain="shop.example.com")
ns = SecureNamespace(prod, "shop")
ERRORS = ('sum(rate(http_requests_total{namespace="{{args.namespace}}", code=~"5..", '
          'rollouts_pod_template_hash="{{args.revision}}"}[2m]))')
WebService(ns, "catalog", image="ghcr.io/acme/catalog:1.4.2", ports={"http": 8080, "metrics": 9090},
           health=Health.http("/healthz"), public=True, metrics=Metrics(),
           strategy=Canary(steps=[20, "5m", 50, "promote"],
                           analysis=Analysis(query=ERRORS, success="result[0] < 0.05")))
WebService(ns, "admin", image="ghcr.io/acme/admin:1.4.2", port=8000, health=Health.http("/healthz"),
           strategy=BlueGreen(auto_promote_seconds=None))

if __name__ == "__main__":
    app.synth()
