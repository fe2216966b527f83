"""What a client is told about its servers: host names that resolve from its own namespace, and the same
connections locally, migrations included whichever GitOps tool the local Environment names."""

from __future__ import annotations

import pytest

from conftest import exec_app, write_sources
from shipform.synth.pipeline import render

CROSS = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
for env in (Environment(app, "dev", local=True), Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"),
                                                             data_storage=DataStorage("ebs.csi.aws.com"))):
    back = SecureNamespace(env, "back")
    front = SecureNamespace(env, "front")
    back.accepts_from.append(front)
    db = StatefulDB(back, "db", engine="postgres", version="16")
    api = WebService(back, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    WebService(front, "web", image="nginx:1.27.3", port=3000, connects_to=[api, db])
'''


@pytest.fixture(scope="module")
def cross(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cross")
    write_sources(folder)
    import yaml

    files = render(exec_app(CROSS, folder), folder / "out")
    return {path: yaml.load(text, Loader=yaml.CSafeLoader) for path, text in files.items() if path.endswith(".yaml")}


def env_of(manifest: dict) -> dict[str, str]:
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_a_client_in_another_namespace_gets_qualified_hosts(cross):
    web = env_of(cross["k8s/prod/deployment-front-web.yaml"])
    assert web["API_HOST"] == "api.back" and web["API_URL"] == "http://api.back:8000"
    assert web["DB_HOST"] == "db.back" and web["DB_URL"] == ("postgresql://shop@db.back:5432/shop?sslmode=verify-full"
                                                        "&sslrootcert=/run/secrets/db-tls.ca.crt")


def test_a_client_in_the_same_namespace_gets_bare_hosts(cross):
    api = env_of(cross["k8s/prod/deployment-back-api.yaml"])
    assert api["DB_HOST"] == "db" and api["DB_URL"] == ("postgresql://shop@db:5432/shop?sslmode=verify-full"
                                                  "&sslrootcert=/run/secrets/db-tls.ca.crt")


def test_compose_hosts_are_service_names(cross):
    web = cross["compose/compose.yaml"]["services"]["web"]["environment"]
    assert web["API_HOST"] == "api" and web["DB_URL"] == "postgresql://shop@db:5432/shop"


FLUX_LOCAL = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, gitops="flux")
db = StatefulDB(dev, "db", engine="postgres", version="16")
WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, connects_to=[db],
           migrate=Migration(["python", "-m", "migrate"]))
'''


def test_a_flux_migration_is_a_one_shot_compose_service_the_service_waits_for(tmp_path):
    import yaml

    write_sources(tmp_path)
    files = render(exec_app(FLUX_LOCAL, tmp_path), tmp_path / "out")
    services = yaml.safe_load(files["compose/compose.yaml"])["services"]
    migrate = services["api-migrate"]
    assert migrate["command"] == ["python", "-m", "migrate"] and migrate["restart"] == "no"
    assert "profiles" not in migrate and "ports" not in migrate
    # it runs the api's image, whose HEALTHCHECK probes the api's port: off, as nothing listens there
    assert migrate["healthcheck"] == {"disable": True}
    assert services["api"]["depends_on"]["api-migrate"] == {"condition": "service_completed_successfully"}
    assert "api-migrate_to_db" in services["db"]["networks"] and migrate["networks"] == ["api-migrate_to_db"]
    deployment = yaml.safe_load(files["k8s/dev/deployment-shop-api.yaml"])
    assert deployment["spec"]["template"]["spec"]["initContainers"][0]["args"] == ["python", "-m", "migrate"]
