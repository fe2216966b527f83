"""Composite constructs (a plain ``constructs.Construct`` holding workloads) used many times: every workload is
named from its path below the namespace, and that name is used for all it makes (objects, env var prefix,
compose service, networks, volumes). The reference app apps/orders (built from examples/acme-constructs) uses
one composite twice in a namespace and once in another; its graphs are checked in test_network_graph.py."""

from __future__ import annotations

import hashlib

import pytest
from constructs import Construct

from shipform import Backup, Health, InvalidApp, Migration, Quota, SecureNamespace, StatefulDB, WebService
from shipform.model.base import path_name
from shipform.testing import assert_no_secret_literals, find_object, objects, synthesize

NGINX = "nginx:1.27.3"


class ApiWithDb(Construct):
    """The composite of the issue that found the problem: a database and an API that uses it."""

    def __init__(self, scope: Construct, id: str, connects_to=(), **api) -> None:
        super().__init__(scope, id)
        self.db = StatefulDB(self, "db", engine="postgres", version="16",
                             backup=Backup(schedule="0 3 * * *", in_cluster="a test app: its dumps matter to nobody"))
        self.api = WebService(self, "api", image=NGINX, port=8080, health=Health.http("/healthz"),
                              connects_to=[self.db, *connects_to], migrate=Migration(["migrate"]), **api)


def names(files, env: str, namespace: str) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects(files, env=env, namespace=namespace)}


@pytest.fixture
def two_namespaces(new_app):
    """One composite twice in 'sales' and once in 'billing', in every Environment."""
    app, dev, prod = new_app()
    for env in (dev, prod):
        sales = SecureNamespace(env, "sales", quota=Quota(cpu_limit="16", memory_limit="32Gi"))
        billing = SecureNamespace(env, "billing", accepts_from=[sales])
        ledger = ApiWithDb(billing, "orders")
        carts = ApiWithDb(sales, "carts")
        ApiWithDb(sales, "orders", connects_to=[carts.api, ledger.api])
    return app


def test_a_composite_used_three_times_names_every_object_from_its_path(two_namespaces):
    files = synthesize(two_namespaces)
    for env in ("dev", "prod"):
        sales, billing = names(files, env, "sales"), names(files, env, "billing")
        for prefix in ("carts", "orders"):
            assert {("Deployment", f"{prefix}-api"), ("Service", f"{prefix}-api"), ("StatefulSet", f"{prefix}-db"),
                    ("Service", f"{prefix}-db-headless"), ("CronJob", f"{prefix}-db-backup"),
                    ("Job", f"{prefix}-api-migrate"), ("ServiceAccount", f"{prefix}-api-migrate")} <= sales
        assert ("Deployment", "orders-api") in billing and ("StatefulSet", "orders-db") in billing
        assert not any("carts" in name for _, name in billing)
    # The env var prefix is the name: each API is told about its own database, and the sales orders API about
    # the billing one by its namespace-qualified host.
    env = {e["name"]: e.get("value") for e in find_object(files, "Deployment", "orders-api", "sales", "prod")
           ["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ORDERS_DB_HOST"] == "orders-db" and env["CARTS_API_HOST"] == "carts-api"
    assert env["ORDERS_API_HOST"] == "orders-api.billing"
    # Each database has its own Secret reference, named after it.
    statefulset = find_object(files, "StatefulSet", "carts-db", "sales", "prod")
    assert "carts-db-credentials" in str(statefulset)
    assert_no_secret_literals(files)


def test_compose_tells_the_same_name_in_two_namespaces_apart(two_namespaces):
    import yaml

    doc = yaml.safe_load(synthesize(two_namespaces)["compose/compose.yaml"])
    services = set(doc["services"])
    assert {"carts-api", "carts-db", "sales-orders-api", "sales-orders-db", "billing-orders-api",
            "billing-orders-db", "sales-orders-db-backup", "billing-orders-db-backup"} <= services
    assert "orders-api" not in services
    env = doc["services"]["sales-orders-api"]["environment"]
    assert env["ORDERS_DB_HOST"] == "sales-orders-db" and env["ORDERS_API_HOST"] == "billing-orders-api"
    assert doc["services"]["sales-orders-api"]["depends_on"]["sales-orders-db"]["condition"] == "service_healthy"
    volumes = {v["source"] for s in doc["services"].values() for v in s.get("volumes", [])}
    assert {"sales-orders-db-data", "billing-orders-db-data", "carts-db-data"} <= volumes
    assert "sales-orders-api_to_billing-orders-api" in doc["networks"]


def test_deep_nesting_joins_every_level_and_name_overrides(new_app):
    app, dev, _ = new_app()
    outer = Construct(dev, "Shop")  # construct ids of composites need not be DNS labels: they are lower-cased
    inner = Construct(outer, "checkout_v2")
    deep = WebService(inner, "api", image=NGINX, port=80)
    named = WebService(inner, "worker", image=NGINX, port=81, name="payments")
    direct = WebService(dev, "web", image=NGINX, port=82, connects_to=[deep, named])
    assert (deep.name, named.name, direct.name) == ("shop-checkout-v2-api", "payments", "web")
    files = synthesize(app)
    assert find_object(files, "Service", "shop-checkout-v2-api", env="dev")
    assert find_object(files, "Deployment", "payments", env="dev")
    env = {e["name"] for e in find_object(files, "Deployment", "web", env="dev")
           ["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {"SHOP_CHECKOUT_V2_API_HOST", "PAYMENTS_HOST"} <= env


@pytest.mark.parametrize(("kind", "limit"), [(WebService, 55), (StatefulDB, 44)])
def test_long_paths_are_cut_to_fit_with_a_stable_hash(new_app, kind, limit):
    """A name exactly at the limit stays; one character more is cut and ends in 8 hex characters of the path's
    SHA-256, so every object (the migration Job, the backup CronJob with its suffixes) stays within the API
    server's limits, and two long paths that share their start still differ."""
    app, dev, _ = new_app()
    props = {"engine": "postgres", "version": "16", "backup": Backup(schedule="@daily")} if kind is StatefulDB \
        else {"image": NGINX, "port": 80, "migrate": Migration(["migrate"])}
    exact = kind(Construct(dev, "c"), "a" * (limit - 2), **props)
    assert exact.name == "c-" + "a" * (limit - 2)
    d = Construct(dev, "d")
    over, longer = kind(d, "b" * (limit - 1), **props), kind(d, "b" * limit, **props)
    digest = hashlib.sha256(("d/" + "b" * (limit - 1)).encode()).hexdigest()[:8]
    assert over.name == f"d-{'b' * (limit - 11)}-{digest}" and len(over.name) == limit
    assert longer.name != over.name and longer.name[:-8] == over.name[:-8] and len(longer.name) == limit
    assert path_name(d, "b" * (limit - 1), limit) == over.name  # stable: the same path, the same name
    files = synthesize(app)  # synth checks every object name against the API server's rules
    made = {o["metadata"]["name"] for o in objects(files, env="dev")}
    suffix = "-backup" if kind is StatefulDB else "-migrate"
    assert {over.name, f"{over.name}{suffix}", exact.name, f"{exact.name}{suffix}"} <= made


def test_a_nested_name_that_clashes_with_a_direct_one_names_both_paths(new_app):
    app, dev, _ = new_app()
    WebService(Construct(dev, "orders"), "api", image=NGINX, port=80)
    WebService(dev, "orders-api", image=NGINX, port=81)
    with pytest.raises(InvalidApp) as caught:
        synthesize(app)
    message = str(caught.value)
    assert "shop/dev/orders-api: 'id' gives the ServiceAccount 'shop/orders-api', as shop/dev/orders/api does" \
        in message and "pass name='...'" in message


def test_workloads_placed_directly_keep_their_ids(new_app):
    _app, dev, _ = new_app()
    ns = SecureNamespace(dev, "team")
    assert WebService(ns, "api", image=NGINX, port=80).name == "api"
    assert WebService(dev, "web", image=NGINX, port=80).name == "web"
    assert StatefulDB(ns, "db", engine="redis", version="7.4").name == "db"


def test_what_synthesize_returns_is_what_synth_writes(two_namespaces, tmp_path):
    """shipform.testing: the in-memory files equal the written folder read back (the writer's manifest aside; the
    workflows go to the repository's .github/workflows/)."""
    from shipform.synth.pipeline import synth_app
    from shipform.testing import read_output

    out = two_namespaces.root / "dist"
    synth_app(two_namespaces, str(out))
    written = read_output(out / "shop")
    in_memory = {path: text for path, text in synthesize(two_namespaces).items()
                 if not path.startswith(".github/workflows/")}
    assert written == in_memory and ".shipform-manifest.json" not in written
