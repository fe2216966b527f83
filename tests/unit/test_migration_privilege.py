"""A migration gets least privilege: its service's databases (also those added later), none of the service's own
secrets and no other connection, unless Migration(connects_to=..., secrets=...) names them."""

from __future__ import annotations

from shipform import External, Migration, SecretRef, StatefulDB, WebService
from shipform.synth.pipeline import render


def env_names(files: dict[str, str], job: str) -> set[str]:
    import yaml

    manifest = yaml.safe_load(files[f"k8s/prod/job-shop-{job}.yaml"])
    return {e["name"] for e in manifest["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def test_by_default_the_databases_only_even_those_added_later(new_app, tmp_path):
    app, _, prod = new_app()
    db = StatefulDB(prod, "db", engine="postgres", version="16")
    catalog = WebService(prod, "catalog", image="nginx:1.27.3", port=8080)
    api = WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[catalog, db],
                     secrets={"SESSION_KEY": SecretRef("api", "session")}, migrate=Migration(["migrate"]))
    api.connects_to.append(StatefulDB(prod, "audit", engine="postgres", version="16", env_prefix="AUDIT"))
    names = env_names(render(app, tmp_path), "api-migrate")
    assert {"DB_HOST", "DB_PASSWORD_FILE", "AUDIT_HOST"} <= names
    assert not names & {"CATALOG_HOST", "SESSION_KEY_FILE"}


def test_what_the_migration_names_is_what_it_gets(new_app, tmp_path):
    app, _, prod = new_app()
    db = StatefulDB(prod, "db", engine="postgres", version="16")
    ledger = External(prod, "ledger", host="10.40.0.12", port=5432)
    WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db, ledger],
               secrets={"SESSION_KEY": SecretRef("api", "session")},
               migrate=Migration(["migrate"], connects_to=[ledger], secrets={"KEY": SecretRef("api", "session")}))
    names = env_names(render(app, tmp_path), "api-migrate")
    assert {"LEDGER_HOST", "KEY_FILE"} <= names
    assert not names & {"DB_HOST", "SESSION_KEY_FILE"}
