# docs/examples/delivery.py
from shipform import App, Destination, Environment, Health, SecureNamespace, WebService

app = App("shop", registry="ghcr.io/acme", version="1.4.2", repository="https://github.com/acme/shop.git")
dev = Environment(app, "dev", local=True)                  # gitops="argocd" by default
prod = Environment(app, "prod", gitops="flux", destination=Destination(name="prod"))   # the Flux of cluster 'prod'

for env in (dev, prod):
    WebService(SecureNamespace(env, "shop"), "api", image="ghcr.io/acme/api:1.4.2", port=8000,
               health=Health.http("/healthz"))

if __name__ == "__main__":
    app.synth()
