"""What KEDA may do to a redis StatefulDB it reads a queue of: log in as a user of its own that may read the length
of the queues' lists and nothing else, with a password of its own, over the mesh by its identity where the queue
is meshed; and the backup user's password, which is not the application's. The ACLs themselves are run against a
real server in tests/engines/test_real_engines.py."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas
from shipform import (
    App,
    Backup,
    DataStorage,
    Environment,
    Health,
    Issuer,
    Keda,
    Mesh,
    Queue,
    Quota,
    SecretRef,
    SecureNamespace,
    StatefulDB,
    Worker,
)
from shipform.model.engines import redis_key_pattern
from shipform.render.secret_commands import kubectl_create_commands
from shipform.testing import find_object, objects, synthesize
from shipform.values.secret_ref import SecretRef as Ref


def worker(ns, name, db, queue):
    return Worker(ns, name, image="busybox:1.37.0", health=Health.exec(["true"]), connects_to=[db],
                  scale_on=Queue(on=db, name=queue))


def build(root, keda=None, mesh=None):
    """A redis database in 'data' whose lists two workers of 'jobs' and one of 'data' scale by."""
    app = App("shop", registry="ghcr.io/acme", root=root)
    env = Environment(app, "prod", keda=keda or Keda(), mesh=Mesh(kind=mesh) if mesh else None,
                      tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    quota = Quota(cpu="32", cpu_limit="64", memory="64Gi", memory_limit="128Gi", pods=100)
    jobs = SecureNamespace(env, "jobs", mesh=mesh, quota=quota)
    data = SecureNamespace(env, "data", mesh=mesh, quota=quota, accepts_from=[jobs])
    db = StatefulDB(data, "queue", engine="redis", version="7.4", backup=Backup(schedule="@daily",
                    in_cluster="a test app: its dumps matter to nobody"))
    worker(jobs, "mailer", db, "mail")
    worker(jobs, "indexer", db, "index")
    worker(data, "mailer2", db, "mail")  # the same list twice: one ACL pattern
    return app, env, db


@pytest.fixture(scope="module")
def scaled(module_app_root):
    app, env, db = build(module_app_root)
    return synthesize(app), env, db


def server_script(out) -> str:
    return find_object(out, "StatefulSet", "queue")["spec"]["template"]["spec"]["containers"][0]["args"][2]


def test_keda_logs_in_as_its_own_user_that_reads_the_lists_lengths_only(scaled):
    out, _, _ = scaled
    script = server_script(out)
    assert ('printf \'%s\\n\' "user keda on #$KEDA resetchannels +ping +eval +type +llen "\'"~index" "~mail"\' '
            '>> /tmp/redis.conf') in script.splitlines()
    assert 'KEDA="$$(sha "$DB_QUEUE_READER_PASSWORD_FILE")"' in script.splitlines()
    lines = script.splitlines()
    assert next(i for i, line in enumerate(lines) if line.startswith("exec redis-server")) > \
        next(i for i, line in enumerate(lines) if "user keda on" in line)  # written before the server starts
    for name in ("mailer", "indexer", "mailer2"):
        trigger = find_object(out, "ScaledObject", name)["spec"]["triggers"][0]
        assert trigger["metadata"]["username"] == "keda" and "usernameFromEnv" not in trigger["metadata"]
        assert find_object(out, "TriggerAuthentication", name)["spec"]["secretTargetRef"] == [
            {"parameter": "password", "name": "queue-keda-credentials", "key": "password"},
            {"parameter": "ca", "name": "queue-tls", "key": "ca.crt"}]  # the queue serves TLS: KEDA verifies it
    assert_match_crd_schemas(objects(out, "ScaledObject") + objects(out, "TriggerAuthentication"))


def test_only_the_database_mounts_keda_s_password_and_each_namespace_that_names_it_gets_it(scaled):
    out, env, _ = scaled

    def mounted(kind, name):
        pod = find_object(out, kind, name)["spec"]["template"]["spec"]
        return {s["secret"]["name"] for v in pod["volumes"] if "projected" in v for s in v["projected"]["sources"]}

    assert "queue-keda-credentials" in mounted("StatefulSet", "queue")
    assert "queue-keda-credentials" not in mounted("Deployment", "mailer")  # the workers never hold it
    spec = env.to_spec()
    assert Ref("queue-keda-credentials", "password") in spec.owned_secrets()
    lines = kubectl_create_commands(spec)
    assert sum(line.startswith("QUEUE_KEDA_CREDENTIALS_PASSWORD=") for line in lines) == 1  # one value
    created = [line for line in lines if '"name": "queue-keda-credentials"' in line and "kubectl" in line]
    namespaces = sorted(line.rsplit("| kubectl -n ", 1)[1].split()[0] for line in created)
    assert namespaces == ["data", "jobs"]  # where the TriggerAuthentications are


def test_the_backup_user_has_a_password_of_its_own(scaled):
    out, _, db = scaled
    script = server_script(out)
    assert '"user backup on #$BACKUP resetchannels +ping +sync +psync +replconf" > /tmp/redis.conf' in script
    assert 'APP="$$(sha "$DB_PASSWORD_FILE")"' in script and 'BACKUP="$$(sha "$DB_BACKUP_PASSWORD_FILE")"' in script
    assert db.dump_password == SecretRef("queue-credentials", "backup-password")
    dump = find_object(out, "CronJob", "queue-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    sources = [s["secret"] for v in dump["volumes"] if "projected" in v for s in v["projected"]["sources"]]
    assert sources == [{"name": "queue-credentials", "items": [
        {"key": "backup-password", "path": "queue-credentials.backup-password"}]},  # not the application's
        {"name": "queue-tls", "items": [{"key": "ca.crt", "path": "queue-tls.ca.crt"}]}]  # the CA alone, no key
    health = find_object(out, "StatefulSet", "queue")["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert 'REDISCLI_AUTH="$(cat "$DB_BACKUP_PASSWORD_FILE")"' in health["exec"]["command"][2]


def test_a_redis_database_no_queue_scales_by_has_no_keda_user(tmp_path):
    app = App("shop", registry="ghcr.io/acme", root=tmp_path)
    db = StatefulDB(Environment(app, "prod", keda=Keda(), tls_issuer=Issuer(name="internal-ca"),
                                data_storage=DataStorage("ebs.csi.aws.com")), "cache",
                    engine="redis", version="7.4")
    assert "keda" not in "\n".join(db.server_command()) and "DB_QUEUE_READER_PASSWORD" not in db.all_secrets()
    assert SecretRef("cache-keda-credentials", "password") not in db.owned_secrets()


@pytest.mark.parametrize(("name", "pattern"), [
    ("jobs", '"~jobs"'),
    ("q:{tenant}:jobs", '"~q:\\x7btenant\\x7d:jobs"'),  # no braces the templates could fill
    ("a*b?[c]\\", '"~a\\x5c\\x2ab\\x5c\\x3f\\x5c\\x5bc\\x5c\\x5d\\x5c\\x5c"'),  # glob characters matched as written
    ("it's \"x\"".replace(" ", "_"), '"~it\\x27s_\\x22x\\x22"'),  # no quote of the shell or of redis.conf
    ("jöbs", '"~j\\xc3\\xb6bs"'),
])
def test_a_list_name_becomes_a_pattern_matching_it_alone(name, pattern):
    assert redis_key_pattern(name) == pattern


@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_keda_in_the_mesh_is_admitted_by_identity_and_the_queue_takes_no_plain_text(app_root, mesh):
    app, _, _ = build(app_root, Keda(in_mesh=True, service_account="keda-operator"), mesh)
    out = synthesize(app)
    if mesh == "istio":
        rules = find_object(out, "AuthorizationPolicy", "queue")["spec"]["rules"]
        assert {"from": [{"source": {"principals": ["cluster.local/ns/keda/sa/keda-operator"]}}],
                "to": [{"operation": {"ports": ["6379"]}}]} in rules
        assert all("from" in rule for rule in rules)  # no rule admits any source
        assert not [p for p in objects(out, "PeerAuthentication") if p["metadata"]["name"] == "queue"]
    else:
        identities = find_object(out, "MeshTLSAuthentication", "queue-redis")["spec"]["identities"]
        assert "keda-operator.keda.serviceaccount.identity.linkerd.cluster.local" in identities
        assert not [p for p in objects(out, "AuthorizationPolicy") if p["metadata"]["name"] == "queue-redis-plain"]
    # The NetworkPolicy still admits KEDA's pods alone besides the clients.
    ingress = find_object(out, "NetworkPolicy", "queue")["spec"]["ingress"]
    assert {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}},
                      "podSelector": {"matchLabels": {"app": "keda-operator"}}}],
            "ports": [{"port": 6379, "protocol": "TCP"}]} in ingress


def test_keda_outside_the_mesh_needs_a_reason_which_the_plain_text_allowance_carries(app_root):
    reason = "KEDA's namespace joins the mesh with the next platform upgrade"
    app, _, _ = build(app_root, Keda(plain_text_reason=reason), "istio")
    out = synthesize(app)
    plain = find_object(out, "PeerAuthentication", "queue")
    assert plain["spec"]["portLevelMtls"] == {"6379": {"mode": "PERMISSIVE"}}
    assert plain["metadata"]["annotations"]["shipform.dev/plain-text-reason"] == f"keda: {reason}"
    assert {"to": [{"operation": {"ports": ["6379"]}}]} in find_object(out, "AuthorizationPolicy", "queue")["spec"][
        "rules"]
