"""An External that is a database (engine=) wires its clients as a StatefulDB does: the same env names and URL
shape, the password only by Secret reference, TLS in the engine's own terms; egress to its address ranges only.

Expected values are written out here, never imported from the model or the renderers."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shipform import External, SecretRef, StatefulDB, WebService
from shipform.testing import assert_no_secret_literals, find_object, synthesize

RDS = "shop.c1x2y3.eu-west-1.rds.amazonaws.com"


def container(files: dict[str, str], name: str, env: str = "prod") -> dict[str, Any]:
    kind = "Job" if name.endswith("-migrate") else "Deployment"
    pod = find_object(files, kind, name, env=env)["spec"]["template"]["spec"]
    return {"env": {e["name"]: e.get("value", e.get("valueFrom")) for e in pod["containers"][0].get("env", [])},
            "secrets": sorted((s["secret"]["name"], i["key"]) for v in pod.get("volumes", []) if "projected" in v
                              for s in v["projected"]["sources"] for i in s["secret"]["items"])}


def client_env(new_app, **props) -> dict[str, Any]:
    app, _, prod = new_app()
    db = External(prod, "db", **{"host": RDS, "port": 5432, "engine": "postgres", **props})
    WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    return container(synthesize(app), "api")["env"]


def test_a_managed_postgres_gives_the_env_a_statefuldb_gives_with_tls_required(new_app):
    env = client_env(new_app, user="app", database="orders")
    assert {k: v for k, v in env.items() if k.startswith("DB_")} == {
        "DB_HOST": RDS, "DB_PORT": "5432", "DB_NAME": "orders", "DB_USER": "app",
        "DB_URL": f"postgresql://app@{RDS}:5432/orders?sslmode=require",
        "DB_PASSWORD_FILE": "/run/secrets/db-credentials.password"}


def test_dev_statefuldb_and_prod_external_give_the_same_variables(new_app):
    app, dev, prod = new_app()
    for env in (dev, prod):
        db = (StatefulDB(env, "db", engine="postgres", version="16") if env is dev
              else External(env, "db", host=RDS, port=5432, engine="postgres", cidrs=["10.40.0.0/24"]))
        WebService(env, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    files = synthesize(app)
    dev_env, prod_env = container(files, "api", "dev")["env"], container(files, "api", "prod")["env"]
    assert set(dev_env) == set(prod_env)
    assert (dev_env["DB_USER"], dev_env["DB_NAME"]) == (prod_env["DB_USER"], prod_env["DB_NAME"]) == ("shop", "shop")
    assert dev_env["DB_URL"] == "postgresql://shop@db:5432/shop"
    assert prod_env["DB_URL"] == f"postgresql://shop@{RDS}:5432/shop?sslmode=require"


def test_the_password_is_a_secret_reference_only(new_app):
    app, _, prod = new_app()
    db = External(prod, "db", host=RDS, port=5432, engine="postgres", password=SecretRef("rds-app", "password"),
                  tls_ca=SecretRef("rds-ca", "bundle.pem"))
    WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    files = synthesize(app)
    api = container(files, "api")
    assert api["secrets"] == [("rds-app", "password"), ("rds-ca", "bundle.pem")]
    assert api["env"]["DB_PASSWORD_FILE"] == "/run/secrets/rds-app.password"
    assert api["env"]["DB_CA_FILE"] == "/run/secrets/rds-ca.bundle.pem"
    assert "DB_PASSWORD" not in api["env"]
    assert_no_secret_literals(files)


def test_a_ca_makes_the_url_verify_the_server(new_app):
    env = client_env(new_app, tls_ca=SecretRef("rds-ca", "ca.pem"))
    assert env["DB_URL"] == (f"postgresql://shop@{RDS}:5432/shop?sslmode=verify-full"
                             "&sslrootcert=/run/secrets/rds-ca.ca.pem")


def test_tls_false_is_plain_tcp(new_app):
    assert client_env(new_app, tls=False)["DB_URL"] == f"postgresql://shop@{RDS}:5432/shop"


@pytest.mark.parametrize(("engine", "port", "url"), [
    ("mysql", 3306, f"mysql://shop@{RDS}:3306/shop?ssl-mode=REQUIRED"),
    ("mariadb", 3306, f"mysql://shop@{RDS}:3306/shop?ssl-mode=REQUIRED"),
    ("redis", 6379, f"rediss://shop@{RDS}:6379/0"),
    ("mongodb", 27017, f"mongodb://shop@{RDS}:27017/shop?tls=true"),
])
def test_each_engine_asks_for_tls_in_its_own_terms(new_app, engine, port, url):
    env = client_env(new_app, engine=engine, port=port)
    assert env["DB_URL"] == url
    assert ("DB_NAME" in env) is (engine != "redis")  # redis has no named databases


def test_an_ipv6_address_is_bracketed_in_the_url_only(new_app):
    app, _, prod = new_app()
    db = External(prod, "db", host="2001:db8::5", port=5432, engine="postgres", tls=False)
    WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    env = container(synthesize(app), "api")["env"]
    assert env["DB_HOST"] == "2001:db8::5"
    assert env["DB_URL"] == "postgresql://shop@[2001:db8::5]:5432/shop"


def test_password_env_puts_the_password_in_the_url_by_reference_and_states_the_risk(new_app):
    app, _, prod = new_app()
    db = External(prod, "db", host=RDS, port=5432, engine="postgres", password_env="the ORM reads only DB_URL")
    WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    files = synthesize(app)
    env = container(files, "api")["env"]
    assert env["DB_PASSWORD"] == {"secretKeyRef": {"name": "db-credentials", "key": "password"}}
    assert env["DB_URL"] == f"postgresql://shop:$(DB_PASSWORD)@{RDS}:5432/shop?sslmode=require"
    annotations = find_object(files, "Deployment", "api", env="prod")["metadata"]["annotations"]
    assert "CKV_K8S_35=DB_PASSWORD: the ORM reads only DB_URL" in annotations.values()


def test_no_password_for_iam_authentication(new_app):
    env = client_env(new_app, password=None)
    assert not {"DB_PASSWORD", "DB_PASSWORD_FILE"} & set(env)


def test_egress_reaches_its_ranges_on_its_port_only(new_app):
    app, _, prod = new_app()
    db = External(prod, "db", host=RDS, port=5432, engine="postgres", cidrs=["10.40.0.0/24"])
    WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    egress = find_object(synthesize(app), "NetworkPolicy", "api", env="prod")["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}], "ports": [{"port": 5432, "protocol": "TCP"}]} in egress
    assert not [rule for rule in egress if any("ipBlock" in peer for peer in rule["to"])
                and rule["ports"] != [{"port": 5432, "protocol": "TCP"}]]


def test_compose_gets_the_connection_without_the_password(new_app):
    app, dev, _ = new_app()
    db = External(dev, "db", host=RDS, port=5432, engine="postgres", cidrs=["10.40.0.0/24"])
    WebService(dev, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    api = yaml.safe_load(synthesize(app)["compose/compose.yaml"])["services"]["api"]
    assert api["environment"]["DB_URL"] == f"postgresql://shop@{RDS}:5432/shop?sslmode=require"
    assert api["environment"]["DB_PASSWORD_FILE"] == "/run/secrets/db-credentials.password"
    assert api["secrets"] == [{"source": "db-credentials.password", "target": "db-credentials.password"}]
    assert api["networks"] == ["api-egress"]


def test_an_external_is_a_database_by_its_engine(new_app):
    _, _, prod = new_app()
    assert External(prod, "pg", host=RDS, port=5432, engine="postgres").is_database
    assert not External(prod, "cache", host=RDS, port=6379, engine="redis").is_database
    assert not External(prod, "pay", host="pay.example.com", port=443, scheme="https").is_database
