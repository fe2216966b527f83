# docs/examples/escape_hatches.py
from shipform import App, Environment, Health, SecureNamespace, WebService

app = App("hatches", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True, domain="dev.shop.example.com")
prod = Environment(app, "prod", replicas=2, domain="shop.example.com")

for env in (dev, prod):  # the same in every Environment: it is the same loop
    ns = SecureNamespace(env, "shop")
    api = WebService(ns, "api", image="ghcr.io/acme/api:1.4.2", port=8000, health=Health.http("/healthz"),
                     public=True)
    api.ingress.add_annotations({"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"})  # WebSockets
    api.deployment.add_labels({"acme.com/team": "checkout"})
    api.deployment.add_json_patch({"op": "add", "path": "/spec/template/spec/priorityClassName",
                                   "value": "high"})
    env.include("k8s/extra.yaml")   # hand-written manifests, relative to the app file

if __name__ == "__main__":
    app.synth()
