"""TLS by default between databases and their clients: in an Environment that is not local, each StatefulDB outside
a mesh gets a cert-manager Certificate from the Environment's issuer, for every name its clients reach it by, serves
TLS only, and its clients, backup, health check and KEDA verify it; a mesh (Istio STRICT, Linkerd) already encrypts;
local Environments stay plain unless they name an issuer; ``plain_databases`` turns it off and says why. The servers
themselves are run over TLS in tests/engines/test_tls_default.py; bad input is in tests/unit/bad_inputs.py."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas, exec_app, write_sources
from shipform.render.secret_commands import kubectl_create_commands
from shipform.testing import find_object, synthesize

APP = '''
from shipform import *
KEPT = "a test app: its dumps matter to nobody"
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"), {props})
for env in (dev, prod):
    front = SecureNamespace(env, "front"{mesh})
    back = SecureNamespace(env, "back", accepts_from=[front],
                           quota=Quota(cpu="8", cpu_limit="32", memory_limit="64Gi"){mesh})
    pg = StatefulDB(back, "pg", engine="postgres", version="16", backup=Backup(schedule="@daily", in_cluster=KEPT))
    maria = StatefulDB(back, "maria", engine="mariadb", version="11.4",
                       backup=Backup(schedule="@daily", in_cluster=KEPT))
    my = StatefulDB(back, "my", engine="mysql", version="8.4")
    cache = StatefulDB(back, "cache", engine="redis", version="7.4")
    WebService(front, "web", image="nginx:1.27.3", port=8000, connects_to=[pg, maria, my, cache])
    WebService(back, "api", image="nginx:1.27.3", port=8000, connects_to=[pg])
'''
ISSUER = 'tls_issuer=Issuer(name="internal-ca")'
ENGINES = ("pg", "maria", "my", "cache")


def synth(tmp_path, props: str = ISSUER, mesh: str = "") -> dict[str, str]:
    write_sources(tmp_path)
    return synthesize(exec_app(APP.format(props=props, mesh=mesh), tmp_path))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    return synth(tmp_path_factory.mktemp("tls"))


def certificates(files: dict[str, str], env: str) -> list[dict]:
    import yaml

    return [yaml.safe_load(text) for path, text in files.items() if path.startswith(f"k8s/{env}/certificate-")]


def env_of(files: dict[str, str], kind: str, name: str, namespace: str) -> dict[str, str]:
    pod = find_object(files, kind, name, namespace, "prod")["spec"]["template"]["spec"]
    return {e["name"]: e.get("value") for e in pod["containers"][0].get("env", [])}


def test_each_database_gets_a_certificate_for_every_name_its_clients_use(files):
    found = {c["metadata"]["name"]: c for c in certificates(files, "prod")}
    assert sorted(found) == ["cache-tls", "maria-tls", "my-tls", "pg-tls"]
    cert = found["pg-tls"]
    assert cert["metadata"]["namespace"] == "back"
    assert cert["spec"]["secretName"] == "pg-tls"
    assert cert["spec"]["dnsNames"] == ["pg", "pg.back", "pg.back.svc", "pg.back.svc.cluster.local"]
    assert cert["spec"]["issuerRef"] == {"name": "internal-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert cert["spec"]["usages"] == ["server auth", "digital signature"]  # a server's, nothing more
    assert cert["spec"]["privateKey"] == {"algorithm": "ECDSA", "size": 256, "encoding": "PKCS8",
                                          "rotationPolicy": "Always"}
    assert (cert["spec"]["duration"], cert["spec"]["renewBefore"]) == ("2160h", "720h")
    assert "isCA" not in cert["spec"]
    assert_match_crd_schemas(list(found.values()))
    # The hosts clients are told are among the names: same namespace, other namespace, KEDA's '.svc'.
    web, api = env_of(files, "Deployment", "web", "front"), env_of(files, "Deployment", "api", "back")
    assert web["PG_HOST"] in cert["spec"]["dnsNames"] and api["PG_HOST"] in cert["spec"]["dnsNames"]
    assert not certificates(files, "dev")  # local: plain


def test_clients_verify_the_server_and_its_name(files):
    web = env_of(files, "Deployment", "web", "front")
    assert web["PG_URL"] == "postgresql://shop@pg.back:5432/shop?sslmode=verify-full&sslrootcert=/run/secrets/pg-tls.ca.crt"
    assert web["MARIA_URL"] == ("mysql://shop@maria.back:3306/shop?ssl-mode=VERIFY_IDENTITY"
                                "&ssl-ca=/run/secrets/maria-tls.ca.crt")
    assert web["MY_URL"] == "mysql://shop@my.back:3306/shop?ssl-mode=VERIFY_IDENTITY&ssl-ca=/run/secrets/my-tls.ca.crt"
    assert web["CACHE_URL"] == "rediss://shop@cache.back:6379/0?ssl_ca_certs=/run/secrets/cache-tls.ca.crt"
    assert {web[f"{e.upper()}_CA_FILE"] for e in ENGINES} == {f"/run/secrets/{e}-tls.ca.crt" for e in ENGINES}


def test_the_server_serves_tls_only_and_its_backup_and_health_check_speak_it(files):
    sts = find_object(files, "StatefulSet", "pg", "back", "prod")
    container = sts["spec"]["template"]["spec"]["containers"][0]
    script = (container.get("args") or container["command"])[-1]
    assert "'hostssl all all all scram-sha-256'" in script and "-c ssl=on" in script
    assert sts["metadata"]["annotations"]["secret.reloader.stakater.com/reload"] == "pg-tls"
    maria = find_object(files, "StatefulSet", "maria", "back", "prod")["spec"]["template"]["spec"]["containers"][0]
    # The image's entrypoint starts it, after the init script that adds the backup user; TLS on its last line.
    assert maria["args"][-1].endswith(
        "exec docker-entrypoint.sh mariadbd \\\n  --ssl-cert=/run/secrets/maria-tls.tls.crt \\\n  "
        "--ssl-key=/run/secrets/maria-tls.tls.key \\\n  --ssl-ca=/run/secrets/maria-tls.ca.crt \\\n  "
        "--require-secure-transport=ON")
    my = find_object(files, "StatefulSet", "my", "back", "prod")["spec"]["template"]["spec"]["containers"][0]
    assert my["args"][0] == "mysqld" and "--require-secure-transport=ON" in my["args"]
    cache = find_object(files, "StatefulSet", "cache", "back", "prod")["spec"]["template"]["spec"]["containers"][0]
    assert "--port 0 --tls-port 6379" in (cache.get("args") or cache["command"])[-1]
    assert "redis-cli --tls --cacert" in cache["readinessProbe"]["exec"]["command"][2]
    for name, verifies in (("pg", "PGSSLMODE=verify-full"), ("maria", "--ssl-verify-server-cert")):
        job = find_object(files, "CronJob", f"{name}-backup", "back", "prod")["spec"]["jobTemplate"]["spec"]
        container = job["template"]["spec"]["containers"][0]
        assert verifies in (container.get("args") or container["command"])[-1]
        assert {"name": "DB_TLS_CA_FILE", "value": f"/run/secrets/{name}-tls.ca.crt"} in container["env"]


def test_nothing_but_cert_manager_writes_the_servers_secret(tmp_path):
    files = synth(tmp_path, ISSUER + ', secret_store=SecretStore("vault")')
    secrets = {(o["metadata"]["namespace"], o["metadata"]["name"])
               for o in (find_object(files, "ExternalSecret", name, ns, "prod")
                         for ns, name in (("front", "pg-tls"), ("front", "cache-tls")))}
    assert secrets == {("front", "pg-tls"), ("front", "cache-tls")}  # a client namespace gets the CA from the store
    assert not [p for p in files if p.startswith("k8s/prod/externalsecret-back-") and p.endswith("-tls.yaml")]


def test_the_kubectl_script_leaves_the_issued_secret_to_cert_manager(tmp_path):
    write_sources(tmp_path)
    app = exec_app(APP.format(props=ISSUER, mesh=""), tmp_path)
    lines = kubectl_create_commands(next(e for e in app.environments if e.name == "prod").to_spec())
    assert not any(" -n back " in line and "-tls " in line for line in lines)
    assert "kubectl -n front create secret generic pg-tls --from-file=ca.crt=/path/to/ca.crt" in lines


@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_a_namespace_in_the_mesh_is_encrypted_by_it_and_gets_no_certificate(tmp_path, mesh):
    files = synth(tmp_path, f'mesh=Mesh(kind="{mesh}")', mesh=f', mesh="{mesh}" if env is prod else None')
    assert not certificates(files, "prod")
    api = env_of(files, "Deployment", "api", "back")
    assert api["PG_URL"] == "postgresql://shop@pg:5432/shop"  # plain inside the mesh's mutual TLS


def test_plain_databases_turns_it_off_and_says_why(tmp_path):
    reason = "a single-node test cluster with no other tenants"
    files = synth(tmp_path, f'plain_databases="{reason}"')
    assert not certificates(files, "prod")
    sts = find_object(files, "StatefulSet", "pg", "back", "prod")
    assert sts["metadata"]["annotations"]["shipform.dev/plain-text-reason"] == reason
    assert env_of(files, "Deployment", "api", "back")["PG_URL"] == "postgresql://shop@pg:5432/shop"


def test_a_local_environment_that_names_an_issuer_serves_tls_too():
    from shipform import App, Environment, Issuer, StatefulDB

    app = App("shop", registry="ghcr.io/acme")
    dev = Environment(app, "dev", local=True, tls_issuer=Issuer(name="dev-ca", kind="Issuer"))
    db = StatefulDB(dev, "db", engine="postgres", version="16")
    assert db.certificate is not None and db.certificate.issuer == ("Issuer", "dev-ca", "cert-manager.io")
    assert db.tls == "db-tls"
    plain = StatefulDB(Environment(app, "kind", local=False, plain_databases="a kind cluster on a laptop"), "db",
                       engine="postgres", version="16", reclaim_policy="Delete")
    assert plain.tls is None and plain.plain_text == "a kind cluster on a laptop"


def test_an_explicit_secret_keeps_working_and_gets_no_certificate(new_app):
    from shipform import StatefulDB

    app, _, prod = new_app()
    db = StatefulDB(prod, "db", engine="postgres", version="16", tls="my-own-tls")
    assert db.tls == "my-own-tls" and db.certificate is None
    files = synthesize(app)
    assert not certificates(files, "prod")
