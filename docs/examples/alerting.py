# docs/examples/alerting.py
from shipform import (App, Environment, Latency, Monitoring, PagerDuty, Receivers, SecretRef, SecureNamespace, Slack,
                      Slo, WebService)

app = App("alerting", registry="ghcr.io/acme", version="1.4.2")
receivers = Receivers(critical=[PagerDuty(routing_key=SecretRef("alerting", "pagerduty-routing-key"))],
                      warning=[Slack(webhook=SecretRef("alerting", "slack-webhook"), channel="#shop-alerts")])
prod = Environment(app, "prod", domain="shop.example.com",
                   monitoring=Monitoring(labels={"release": "kube-prometheus-stack"}, receivers=receivers))
ns = SecureNamespace(prod, "shop")
WebService(ns, "web", image="ghcr.io/acme/web:1.4.2", port=3000, public=True,
           slo=Slo(availability=0.999, latency=Latency(threshold="250ms", target=0.99)))

if __name__ == "__main__":
    app.synth()
