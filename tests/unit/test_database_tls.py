"""StatefulDB(tls=...): the server mounts its certificate and key and serves TLS only; clients and backups get the
CA alone and verify the server; compose gets a real certificate from `shipform secrets init-local` (openssl);
the kubectl script never makes a random certificate and gives client namespaces the CA alone. The servers
themselves are tested in tests/engines/test_tls.py."""

from __future__ import annotations

import subprocess

import yaml

from conftest import exec_app, write_sources
from shipform.delivery.local_secrets import init_local
from shipform.render.secret_commands import kubectl_create_commands
from shipform.synth.pipeline import synth_app
from shipform.testing import find_object, synthesize

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
for env in (Environment(app, "dev", local=True),
            Environment(app, "prod", data_storage=DataStorage("ebs.csi.aws.com"))):
    front = SecureNamespace(env, "front")
    back = SecureNamespace(env, "back", accepts_from=[front])
    db = StatefulDB(back, "db", engine="postgres", version="16", tls="db-tls",
                    backup=Backup(schedule="@daily", in_cluster="a test app: its dumps matter to nobody"))
    WebService(front, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
'''


def mounted(pod: dict, container: dict) -> set[str]:
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    return {f"{s['secret']['name']}/{item['key']}" for m in container.get("volumeMounts", [])
            if m["mountPath"] == "/run/secrets" for s in volumes[m["name"]]["projected"]["sources"]
            for item in s["secret"]["items"]}


def test_the_server_holds_the_key_and_everyone_else_the_ca_alone(tmp_path):
    write_sources(tmp_path)
    files = synthesize(exec_app(APP, tmp_path))
    sts = find_object(files, "StatefulSet", "db", "back", "prod")["spec"]["template"]["spec"]
    assert {"db-tls/tls.crt", "db-tls/tls.key", "db-tls/ca.crt"} <= mounted(sts, sts["containers"][0])
    script = sts["containers"][0]["args"][2] if "args" in sts["containers"][0] else sts["containers"][0]["command"][2]
    assert ("exec docker-entrypoint.sh postgres \\\n  -c ssl=on \\\n  -c ssl_cert_file=/run/secrets/db-tls.tls.crt \\\n"
            "  -c ssl_key_file=/tmp/server.key") in script
    api = find_object(files, "Deployment", "api", "front", "prod")["spec"]["template"]["spec"]
    assert mounted(api, api["containers"][0]) == {"db-credentials/password", "db-tls/ca.crt"}
    env = {e["name"]: e.get("value") for e in api["containers"][0]["env"]}
    assert env["DB_URL"] == ("postgresql://shop@db.back:5432/shop?sslmode=verify-full"
                             "&sslrootcert=/run/secrets/db-tls.ca.crt")
    assert env["DB_CA_FILE"] == "/run/secrets/db-tls.ca.crt"
    backup = find_object(files, "CronJob", "db-backup", "back", "prod")["spec"]["jobTemplate"]["spec"]["template"]
    # The dump logs in as the backup login, which may only read; the restore as the application's.
    assert mounted(backup["spec"], backup["spec"]["containers"][0]) == {"db-credentials/backup-password",
                                                                        "db-tls/ca.crt"}
    restore = find_object(files, "CronJob", "db-restore", "back", "prod")["spec"]["jobTemplate"]["spec"]["template"]
    assert mounted(restore["spec"], restore["spec"]["containers"][0]) == {"db-credentials/password", "db-tls/ca.crt"}


def test_compose_gets_a_certificate_for_the_service_name(tmp_path):
    write_sources(tmp_path)
    app = exec_app(APP, tmp_path)
    out = tmp_path / "out"
    synth_app(app, str(out))
    created = {p.name for p in init_local(app, out)}
    assert {"db-tls.tls.crt", "db-tls.tls.key", "db-tls.ca.crt", "db-credentials.password"} <= created
    folder = out / "shop" / "compose" / "secrets"
    text = subprocess.run(["openssl", "x509", "-in", folder / "db-tls.tls.crt", "-noout", "-ext", "subjectAltName"],
                          capture_output=True, text=True, check=True).stdout
    assert "DNS:db" in text and "DNS:localhost" in text
    verified = subprocess.run(["openssl", "verify", "-CAfile", folder / "db-tls.ca.crt", folder / "db-tls.tls.crt"],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert init_local(app, out) == []  # never replaced once made
    doc = yaml.safe_load((out / "shop" / "compose" / "compose.yaml").read_text())
    assert {"source": "db-tls.ca.crt", "target": "db-tls.ca.crt"} in doc["services"]["api"]["secrets"]


def test_the_kubectl_script_never_makes_a_random_certificate(tmp_path):
    write_sources(tmp_path)
    env = next(e for e in exec_app(APP, tmp_path).environments if e.name == "prod").to_spec()
    lines = kubectl_create_commands(env)
    assert not any(line.startswith("DB_TLS") for line in lines)
    assert ("kubectl -n back create secret generic db-tls --from-file=ca.crt=/path/to/ca.crt "
            "--from-file=tls.crt=/path/to/tls.crt --from-file=tls.key=/path/to/tls.key") in lines
    assert "kubectl -n front create secret generic db-tls --from-file=ca.crt=/path/to/ca.crt" in lines


def test_mariadb_is_started_by_its_image_with_tls_required(new_app):
    from shipform import StatefulDB

    _, dev, _ = new_app()
    db = StatefulDB(dev, "db", engine="mariadb", version="11.4", tls="db-tls")
    shell, flag, script = db.server_command()
    # The image's entrypoint starts the server, after the init script that adds the backup user is in place.
    assert (shell, flag) == ("sh", "-c") and script.split("\n")[0] == \
        "cat > /docker-entrypoint-initdb.d/10-backup-user.sh <<'INIT'"
    assert script.split("\n")[-5:] == [
        "exec docker-entrypoint.sh mariadbd \\", "  --ssl-cert=/run/secrets/db-tls.tls.crt \\",
        "  --ssl-key=/run/secrets/db-tls.tls.key \\", "  --ssl-ca=/run/secrets/db-tls.ca.crt \\",
        "  --require-secure-transport=ON"]
    assert db.health is not None and db.health.exec_test()[-3:] == ["mariadb-admin", "ping", "--silent"]


def test_long_secret_names_keep_every_line_short(new_app):
    """The server's TLS arguments go one per line: a long Secret name must not make a line yamllint refuses."""
    from shipform import StatefulDB

    app, dev, _ = new_app()
    for engine, version in (("postgres", "16"), ("redis", "7.4")):
        StatefulDB(dev, engine, engine=engine, version=version, tls=f"{engine}-" + "t" * 50)
    files = synthesize(app)
    longest = max(len(line) for path, text in files.items() if path.endswith(".yaml") for line in text.splitlines())
    assert longest <= 200
