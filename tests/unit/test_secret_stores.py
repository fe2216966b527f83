"""Where ExternalSecrets read from: a namespaced SecretStore by default (an ExternalSecret can only use the store
of its own namespace); a ClusterSecretStore only when shipform renders it, with conditions that admit only the
Environment's namespaces that use it; the deployer Role never gets the store."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas, manifests
from shipform import Environment, SecretRef, SecretStore, SecureNamespace, Subject, WebService
from shipform.errors import ShipformError

VAULT = {"vault": {"server": "https://vault.example.com", "path": "secret", "version": "v2",
                   "auth": {"kubernetes": {"mountPath": "kubernetes", "role": "shop"}}}}


def environment(new_app, store: SecretStore) -> Environment:
    app, _, _ = new_app()
    prod = Environment(app, "stage", secret_store=store)
    for name in ("front", "back"):
        ns = SecureNamespace(prod, name, deployers=[Subject.group("ci")])
        WebService(ns, "api", image="nginx:1.27.3", port=80, secrets={"TOKEN": SecretRef(f"{name}-api", "token")})
    SecureNamespace(prod, "quiet")  # no Secret referenced: no store, not admitted
    return prod


def of_kind(env: Environment, kind: str) -> list[dict]:
    import cdk8s  # every object, also those of one name in several namespaces (conftest.manifests keys by name)

    return [m for m in cdk8s.Testing.synth(env) if m["kind"] == kind]


def test_by_default_each_external_secret_reads_the_store_of_its_own_namespace(new_app):
    env = environment(new_app, SecretStore("vault"))
    refs = {m["metadata"]["namespace"]: m["spec"]["secretStoreRef"] for m in of_kind(env, "ExternalSecret")}
    assert refs == {"back": {"name": "vault", "kind": "SecretStore"}, "front": {"name": "vault", "kind": "SecretStore"}}
    assert of_kind(env, "SecretStore") == [] and of_kind(env, "ClusterSecretStore") == []  # the platform's


def test_a_provider_renders_a_secret_store_in_each_namespace_that_uses_it(new_app):
    env = environment(new_app, SecretStore("vault", provider=VAULT))
    stores = of_kind(env, "SecretStore")
    assert sorted(m["metadata"]["namespace"] for m in stores) == ["back", "front"]
    assert all(m["metadata"]["name"] == "vault" and m["spec"] == {"provider": VAULT} for m in stores)
    assert all(m["apiVersion"] == "external-secrets.io/v1" for m in stores)
    assert_match_crd_schemas(stores)


def test_a_cluster_secret_store_admits_only_the_namespaces_that_use_it(new_app):
    env = environment(new_app, SecretStore("vault", kind="ClusterSecretStore", provider=VAULT))
    [store] = of_kind(env, "ClusterSecretStore")
    assert "namespace" not in store["metadata"]
    # The published CRD (external-secrets.io/v1): spec.conditions[].namespaces, names of namespaces.
    assert store["spec"] == {"provider": VAULT, "conditions": [{"namespaces": ["back", "front"]}]}
    refs = {m["spec"]["secretStoreRef"]["kind"] for m in of_kind(env, "ExternalSecret")}
    assert refs == {"ClusterSecretStore"}


@pytest.mark.parametrize("kind", ["SecretStore", "ClusterSecretStore"])
def test_the_deployer_role_never_gets_the_store(new_app, kind):
    env = environment(new_app, SecretStore("vault", kind=kind, provider=VAULT))
    roles = of_kind(env, "Role")
    assert len(roles) == 2
    for role in roles:
        granted = {r for rule in role["rules"] for r in rule["resources"]}
        assert "externalsecrets" in granted
        assert not {"secretstores", "clustersecretstores", "secrets"} & granted


def test_a_cluster_secret_store_shipform_does_not_render_is_refused(new_app):
    app, _, _ = new_app()
    with pytest.raises(ShipformError) as caught:
        Environment(app, "stage", secret_store=SecretStore("vault", kind="ClusterSecretStore"))
        manifests(app.node.find_child("stage"))
    message = str(caught.value)
    assert "secret_store.kind" in message and "use kind='SecretStore'" in message


def test_a_secret_read_for_its_certificate_and_key_is_synced_as_a_tls_secret(new_app):
    """A Secret whose keys include tls.crt and tls.key (a database's own certificate given with ``tls=``) becomes a
    kubernetes.io/tls Secret, keys unchanged: CloudNativePG and ingress controllers read the type. Others stay
    Opaque."""
    from shipform import StatefulDB

    app, _, _ = new_app()
    prod = Environment(app, "stage", secret_store=SecretStore("vault"))
    ns = SecureNamespace(prod, "data", deployers=[Subject.group("ci")])
    db = StatefulDB(ns, "db", engine="postgres", version="16", tls="db-cert", reclaim_policy="Delete")
    WebService(ns, "api", image="nginx:1.27.3", port=80, connects_to=[db])
    synced = {m["metadata"]["name"]: m["spec"] for m in of_kind(prod, "ExternalSecret")}
    assert synced["db-cert"]["target"]["template"] == {"type": "kubernetes.io/tls"}
    assert {d["secretKey"] for d in synced["db-cert"]["data"]} >= {"tls.crt", "tls.key", "ca.crt"}
    assert all("template" not in spec["target"] for name, spec in synced.items() if name != "db-cert")
    assert_match_crd_schemas(of_kind(prod, "ExternalSecret"))
