"""A migration gets least privilege: its service's database (a StatefulDB or an External with engine=, also one
added later), none of the service's own secrets, and never a cache's, queue's or other service's env, Secret or
egress; with several databases it must name the ones it migrates. In compose it gets the same, whether it is a
Job (Argo CD) or a step every pod runs first (Flux).

Expected values are written out here, never imported from the model or the renderers."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shipform import App, DataStorage, Environment, External, Issuer, Migration, SecretRef, StatefulDB, WebService
from shipform.errors import InvalidApp
from shipform.testing import find_object, synthesize

RDS = "shop.c1x2y3.eu-west-1.rds.amazonaws.com"
NGINX = "nginx:1.27.3"


def job(files: dict[str, str], name: str = "api-migrate", env: str = "prod") -> dict[str, Any]:
    """The migration Job's env names, the Secret keys its pod mounts and its NetworkPolicy's egress."""
    pod = find_object(files, "Job", name, env=env)["spec"]["template"]["spec"]
    return {"env": {e["name"] for e in pod["containers"][0].get("env", [])},
            "secrets": sorted((s["secret"]["name"], i["key"]) for v in pod.get("volumes", []) if "projected" in v
                              for s in v["projected"]["sources"] for i in s["secret"]["items"]),
            "egress": find_object(files, "NetworkPolicy", name, env=env)["spec"]["egress"]}


def errors(app) -> list[str]:
    with pytest.raises(InvalidApp) as raised:
        synthesize(app)
    return [str(p) for p in raised.value.problems]


def test_by_default_the_database_only_even_one_added_later(new_app):
    app, _, prod = new_app()
    catalog = WebService(prod, "catalog", image=NGINX, port=8080)
    api = WebService(prod, "api", image=NGINX, port=8000, connects_to=[catalog],
                     secrets={"SESSION_KEY": SecretRef("api", "session")}, migrate=Migration(["migrate"]))
    api.connects_to.append(StatefulDB(prod, "db", engine="postgres", version="16"))
    migration = job(synthesize(app))
    assert {"DB_HOST", "DB_URL", "DB_PASSWORD_FILE"} <= migration["env"]
    assert not migration["env"] & {"CATALOG_HOST", "SESSION_KEY_FILE"}
    assert migration["secrets"] == [("db-credentials", "password"), ("db-tls", "ca.crt")]  # the CA alone


def test_an_external_database_and_never_the_cache(new_app):
    """The case that went wrong: the migration got the redis cache's env, Secret and egress and no DB_* at all."""
    app, _, prod = new_app()
    db = External(prod, "db", host=RDS, port=5432, engine="postgres", cidrs=["10.40.0.0/24"],
                  password=SecretRef("rds-app", "password"))
    cache = StatefulDB(prod, "cache", engine="redis", version="7.4")
    WebService(prod, "api", image=NGINX, port=8000, connects_to=[db, cache], migrate=Migration(["migrate"]))
    files = synthesize(app)
    migration = job(files)
    assert {"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_URL", "DB_PASSWORD_FILE"} <= migration["env"]
    assert not {name for name in migration["env"] if name.startswith("CACHE_")}
    assert migration["secrets"] == [("rds-app", "password")]
    reaches = [rule for rule in migration["egress"] if rule["ports"][0]["port"] != 53]
    assert reaches == [{"to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}], "ports": [{"port": 5432, "protocol": "TCP"}]}]
    cache_ingress = find_object(files, "NetworkPolicy", "cache", env="prod")["spec"]["ingress"]
    admitted = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for rule in cache_ingress
                for peer in rule["from"]}
    assert admitted == {"api"}


def test_what_the_migration_names_is_what_it_gets(new_app):
    app, _, prod = new_app()
    db = StatefulDB(prod, "db", engine="postgres", version="16")
    ledger = External(prod, "ledger", host="10.40.0.12", port=5432, engine="postgres")
    WebService(prod, "api", image=NGINX, port=8000, connects_to=[db, ledger],
               secrets={"SESSION_KEY": SecretRef("api", "session")},
               migrate=Migration(["migrate"], connects_to=[ledger], secrets={"KEY": SecretRef("api", "session")}))
    names = job(synthesize(app))["env"]
    assert {"LEDGER_HOST", "LEDGER_PASSWORD_FILE", "KEY_FILE"} <= names
    assert not names & {"DB_HOST", "SESSION_KEY_FILE"}


def test_two_databases_and_no_choice_is_an_error_naming_both(new_app):
    app, _, prod = new_app()
    db = StatefulDB(prod, "db", engine="postgres", version="16")
    ledger = External(prod, "ledger", host=RDS, port=5432, engine="postgres")
    WebService(prod, "api", image=NGINX, port=8000, connects_to=[db, ledger], migrate=Migration(["migrate"]))
    assert errors(app) == [
        "shop/prod/api: 'migrate' has 2 databases to choose from, got ['shop/prod/db', 'shop/prod/ledger']. "
        "Fix: name the ones it migrates, e.g. Migration([...], connects_to=[db])"]


def test_a_service_whose_servers_hold_no_database_is_an_error(new_app):
    """An External that is the database but says no engine: the migration would silently reach nothing."""
    app, _, prod = new_app()
    db = External(prod, "db", host=RDS, port=5432)
    cache = StatefulDB(prod, "cache", engine="redis", version="7.4")
    WebService(prod, "api", image=NGINX, port=8000, connects_to=[db, cache], migrate=Migration(["migrate"]))
    (problem,) = errors(app)
    assert problem.startswith("shop/prod/api: 'migrate' finds no database")
    assert "engine='postgres'" in problem and "connects_to=[]" in problem


def test_a_migration_may_not_name_a_cache(new_app):
    app, _, prod = new_app()
    db = StatefulDB(prod, "db", engine="postgres", version="16")
    cache = StatefulDB(prod, "cache", engine="redis", version="7.4")
    WebService(prod, "api", image=NGINX, port=8000, connects_to=[db, cache],
               migrate=Migration(["migrate"], connects_to=[db, cache]))
    (problem,) = errors(app)
    assert problem.startswith("shop/prod/api: 'migrate.connects_to' names a server that is no database")


def local_migration(app_root, gitops: str) -> dict[str, Any]:
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    dev = Environment(app, "dev", local=True, gitops=gitops)
    db = StatefulDB(dev, "db", engine="postgres", version="16")
    cache = StatefulDB(dev, "cache", engine="redis", version="7.4")
    payments = External(dev, "payments", host="api.payments.example.com", port=443, scheme="https",
                        secrets={"API_KEY": SecretRef("payments", "api-key")})
    WebService(dev, "api", image=NGINX, port=8000, connects_to=[db, cache, payments], env={"MODE": "x"},
               config={"LOG_LEVEL": "info"}, secrets={"SESSION_KEY": SecretRef("api", "session")},
               migrate=Migration(["migrate"]))
    return yaml.safe_load(synthesize(app)["compose/compose.yaml"])["services"]["api-migrate"]


@pytest.mark.parametrize("gitops", ["argocd", "flux"])
def test_compose_gives_the_migration_its_database_only(app_root, gitops):
    """Under Argo CD the migration is a Job; under Flux a step every pod runs first (in Kubernetes an init
    container of the service's pod): locally both are a one-shot service with the database's connection and
    secrets, the service's own env and configuration, and nothing else."""
    migration = local_migration(app_root, gitops)
    assert set(migration["environment"]) == {"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_URL",
                                             "DB_PASSWORD_FILE", "MODE", "LOG_LEVEL"}
    assert migration["secrets"] == [{"source": "db-credentials.password", "target": "db-credentials.password"}]
    assert migration["networks"] == ["api-migrate_to_db"]
    assert set(migration["depends_on"]) == {"db"}


def test_under_flux_the_pods_still_migrate_first(new_app):
    app = App("shop", registry="ghcr.io/acme", root=new_app()[0].root)
    prod = Environment(app, "prod", gitops="flux", tls_issuer=Issuer(name="internal-ca"),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    db = StatefulDB(prod, "db", engine="postgres", version="16")
    WebService(prod, "api", image=NGINX, port=8000, connects_to=[db], migrate=Migration(["migrate", "--lock"]))
    pod = find_object(synthesize(app), "Deployment", "api", env="prod")["spec"]["template"]["spec"]
    assert [(c["name"], c["args"]) for c in pod["initContainers"]] == [("migrate", ["migrate", "--lock"])]
