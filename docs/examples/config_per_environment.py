# docs/examples/config_per_environment.py
from shipform import App, Environment, Health, SecureNamespace, WebService

app = App("configured", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod")

for env in (dev, prod):
    ns = SecureNamespace(env, "shop")
    WebService(ns, "api", image="ghcr.io/acme/api:1.4.2", port=8000, health=Health.http("/healthz"),
               config={"LOG_LEVEL": "debug" if env is dev else "info", "REGION": env.name},
               files={"/etc/shop/api.toml": f"config/{env.name}/api.toml"})

if __name__ == "__main__":
    app.synth()
