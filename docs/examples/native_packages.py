# docs/examples/native_packages.py
from shipform import App, Build, Environment, Health, WebService

app = App("native", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True)
WebService(dev, "api", port=8000, health=Health.http("/healthz"),
           build=Build.python("services/api", ["gunicorn", "-b", "0.0.0.0:8000", "app:app"],
                              build_packages=["gcc", "libpq-dev"],   # the build stage: compilers and headers
                              runtime_packages=["libpq5"],           # the runtime image: the shared libraries only
                              args={"APP_FLAVOR": "full"}))          # ARG lines of the build stage

if __name__ == "__main__":
    app.synth()
