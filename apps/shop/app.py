"""The reference shop: a Node web front end, a Python API and a Go catalog, in dev (local) and prod."""

from shipform import App, Autoscale, Build, Environment, Health, Resources, SecretRef, WebService

app = App("shop", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True, domain="dev.shop.example.com")
prod = Environment(app, "prod", replicas=3, domain="shop.example.com", cluster_issuer="letsencrypt")

for env in (dev, prod):
    catalog = WebService(env, "catalog", build=Build.go("services/catalog"), port=8080,
                         health=Health.http("/healthz"))
    api = WebService(
        env, "api",
        build=Build.python("services/api", ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "app:app"]),
        port=8000, health=Health.http("/healthz"), connects_to=[catalog],
        env={"LOG_LEVEL": "info"},
        secrets={"SESSION_KEY": SecretRef("api-secrets", "session-key")},
        resources=Resources(cpu="250m", memory="256Mi", cpu_limit="1", memory_limit="512Mi"),
    )
    WebService(
        env, "web", build=Build.node("services/web", ["node", "server.js"]), port=3000,
        health=Health.http("/healthz"), public=True, connects_to=[api],
        autoscale=Autoscale(min=3, max=10, cpu_percent=70) if env is prod else None,
    )

if __name__ == "__main__":
    app.synth()
