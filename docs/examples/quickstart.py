# docs/examples/quickstart.py
from shipform import App, Build, Environment, Health, SecureNamespace, StatefulDB, WebService

app = App("hello", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="hello.localhost")   # also becomes the compose file
ns = SecureNamespace(dev, "hello")
db = StatefulDB(ns, "db", engine="postgres", version="16", storage="1Gi")
WebService(ns, "api", build=Build.python("services/api", ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]),
           port=8000, health=Health.http("/healthz"), public=True, connects_to=[db])

if __name__ == "__main__":
    app.synth()
