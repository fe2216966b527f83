"""The library's own tests: what each construct makes, with shipform's testing helpers and syrupy snapshots of
the generated files, in memory (no output folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from acme_constructs import HardenedApi, PythonApiWithDb

from shipform import App, DataStorage, Environment, Health, Issuer, Quota, S3Target, SecretRef, SecureNamespace
from shipform.testing import assert_no_secret_literals, find_object, objects, synthesize

HERE = Path(__file__).parent
API = ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]


def new_app() -> tuple[App, Environment, Environment]:
    app = App("acme", registry="ghcr.io/acme", version="1.0.0", root=HERE)
    dev = Environment(app, "dev", local=True)
    return app, dev, Environment(app, "prod", replicas=2, unpinned_images="a library test: nothing is released",
                                 data_storage=DataStorage("ebs.csi.aws.com"), tls_issuer=Issuer(name="internal-ca"))


def container(files: dict[str, str], kind: str, name: str, env: str = "prod") -> dict:
    return find_object(files, kind, name, env=env)["spec"]["template"]["spec"]["containers"][0]


def test_hardened_api_defaults():
    app, dev, prod = new_app()
    for env in (dev, prod):
        HardenedApi(env, "api", image="nginx:1.27.3")
    files = synthesize(app)
    api = container(files, "Deployment", "api")
    assert api["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert api["readinessProbe"]["httpGet"]["path"] == "/healthz"
    # Ephemeral storage: the container's own 64Mi and its /tmp.
    assert api["resources"] == {"requests": {"cpu": "100m", "memory": "192Mi", "ephemeral-storage": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "384Mi", "ephemeral-storage": "128Mi"}}


def test_a_prop_given_wins_over_the_team_default():
    app, dev, prod = new_app()
    for env in (dev, prod):
        HardenedApi(env, "api", image="nginx:1.27.3", port=9000, health=Health.tcp())
    api = container(synthesize(app), "Deployment", "api")
    assert api["ports"][0]["containerPort"] == 9000 and "tcpSocket" in api["readinessProbe"]


def offsite(env: Environment, prod: Environment) -> S3Target | None:
    """Where prod's dumps go (outside a local Environment they must leave the cluster)."""
    return S3Target("acme-backups", credentials=SecretRef("backup-s3", "credentials"),
                    restore_credentials=SecretRef("restore-s3", "credentials")) if env is prod else None


def test_python_api_with_db_used_twice_is_named_apart(snapshot):
    app, dev, prod = new_app()
    for env in (dev, prod):
        ns = SecureNamespace(env, "shop", quota=Quota(cpu_limit="16", memory_limit="32Gi"))
        carts = PythonApiWithDb(ns, "carts", source="service", command=API, backup_to=offsite(env, prod))
        PythonApiWithDb(ns, "orders", source="service", command=API, connects_to=[carts.api],
                        migrate=["python", "-m", "migrate"], backup_to=offsite(env, prod))
    files = synthesize(app)
    made = sorted((o["kind"], o["metadata"]["name"]) for o in objects(files, env="prod", namespace="shop"))
    assert made == snapshot(name="objects")
    assert files["k8s/prod/deployment-shop-orders-api.yaml"] == snapshot(name="orders-api")
    assert files["compose/compose.yaml"] == snapshot(name="compose")
    env = {e["name"] for e in container(files, "Deployment", "orders-api")["env"]}
    assert {"ORDERS_DB_HOST", "ORDERS_DB_PASSWORD_FILE", "CARTS_API_HOST"} <= env
    assert_no_secret_literals(files)


def test_the_api_is_connected_to_like_any_workload():
    app, dev, prod = new_app()
    for env in (dev, prod):
        orders = PythonApiWithDb(env, "orders", source="service", command=API, backup_to=offsite(env, prod))
        HardenedApi(env, "web", image="nginx:1.27.3", connects_to=[orders.api])
    policy = find_object(synthesize(app), "NetworkPolicy", "orders-api", env="prod")
    peers = [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for rule in policy["spec"]["ingress"]
             for p in rule["from"]]
    assert peers == ["web"]


def test_a_bad_prop_is_reported_at_the_composite_part():
    from shipform import ShipformError

    _app, dev, _ = new_app()
    with pytest.raises(ShipformError, match=r"acme/dev/orders/db: 'storage'"):
        PythonApiWithDb(dev, "orders", source="service", command=API, storage="lots")
