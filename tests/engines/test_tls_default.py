"""TLS by default against real servers: a StatefulDB in an Environment that is not local (``tls_issuer=``) gets a
Certificate; here a CA of the test's own (python ``cryptography``) issues what cert-manager would for it (the
Certificate's DNS names, an ECDSA P-256 key in PKCS#8, server auth), and the generated start command (only its
paths and port pointed at the test's folder) serves TLS only with it. A plain connection is refused; a client that
verifies the server against the CA and each name the clients are told (openssl s_client, which checks the name while
it connects to loopback) gets in, a name the Certificate does not hold is refused; the health check and the backup
work over TLS. MariaDB, and PostgreSQL through the very URL its clients get."""

from __future__ import annotations

import datetime
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import write_sources
from engines.test_real_engines import (  # noqa: F401
    PASSWORD,
    as_user,
    free_port,
    health_ok,
    password_file,
    postgres_bindir,
    require,
    wait_until,
    with_port,
)
from engines.test_tls import backup_over_tls, pointed
from shipform.render.facets.certificate import certificate_spec
from shipform.testing import find_object, synthesize

pytestmark = pytest.mark.engines
LOOPBACK_NAME = "localhost"
"""The name the test's own clients (the backup, the mariadb client) reach the server by on loopback; added to the
issued names here alone."""


def make_db(engine: str, version: str, tmp: Path):
    from shipform import App, Backup, DataStorage, Environment, Issuer, SecureNamespace, StatefulDB, WebService

    write_sources(tmp)
    app = App("shop", registry="ghcr.io/acme", root=tmp)
    prod = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    front = SecureNamespace(prod, "front")
    back = SecureNamespace(prod, "back", accepts_from=[front])
    kept = Backup(schedule="@daily", retention=2, in_cluster="a test: its dumps matter to nobody")
    db = StatefulDB(back, "db", engine=engine, version=version, backup=kept)
    WebService(front, "web", image="nginx:1.27.3", port=8000, connects_to=[db])
    WebService(back, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    return db, synthesize(app)


def told(files: dict[str, str], name: str, namespace: str) -> dict[str, str]:
    """The client's env vars as Kubernetes gives them (its Deployment)."""
    pod = find_object(files, "Deployment", name, namespace, "prod")["spec"]["template"]["spec"]
    return {e["name"]: e.get("value", "") for e in pod["containers"][0]["env"]}


def issue(dns_names: list[str], folder: Path, secret: str, owner: str) -> None:
    """What cert-manager writes into the Secret for the Certificate (tls.crt, tls.key, ca.crt), as the pod mounts
    them: ``<secret>.<key>`` files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test internal CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    files = {"tls.crt": leaf.public_bytes(serialization.Encoding.PEM),
             "tls.key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()),
             "ca.crt": ca.public_bytes(serialization.Encoding.PEM)}
    for name, data in files.items():
        path = folder / f"{secret}.{name}"
        path.write_bytes(data)
        path.chmod(0o644)
        if os.geteuid() == 0:
            shutil.chown(path, owner)


def issued_folder(db, owner: str) -> tuple[Path, dict]:
    """A folder the server's user owns, holding what cert-manager issues for the database's Certificate."""
    assert db.certificate is not None, "the database in a non-local Environment has no certificate"
    cert = certificate_spec(db.certificate)
    assert cert["privateKey"]["algorithm"] == "ECDSA" and cert["privateKey"]["encoding"] == "PKCS8"
    folder = Path(tempfile.mkdtemp(prefix="shipform-tls-default-"))
    if os.geteuid() == 0:
        shutil.chown(folder, owner)
    folder.chmod(0o755)
    issue([*cert["dnsNames"], LOOPBACK_NAME], folder, cert["secretName"], owner)
    return folder, cert


def s_client(protocol: str, port: int, name: str, ca: Path) -> subprocess.CompletedProcess:
    """A TLS client that checks the server's certificate against the CA and ``name`` while it connects to
    loopback (the name the clients are told would resolve to the Service in the cluster)."""
    return subprocess.run(["openssl", "s_client", "-starttls", protocol, "-connect", f"127.0.0.1:{port}",
                           "-servername", name, "-verify_hostname", name, "-CAfile", str(ca), "-verify_return_error",
                           "-brief"], input="", capture_output=True, text=True, timeout=30)


def test_mariadb_serves_tls_with_its_issued_certificate_for_every_client_name(tmp_path, password_file):  # noqa: F811
    require(bool(shutil.which("mariadbd")), "mariadb-server")
    db, files = make_db("mariadb", "11.4", tmp_path)
    owner = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder, cert = issued_folder(db, owner)
    ca = folder / f"{cert['secretName']}.ca.crt"
    sock, port = folder / "mysqld.sock", free_port()
    subprocess.run(["mariadb-install-db", f"--user={owner}", f"--datadir={folder}/data",
                    "--auth-root-authentication-method=socket"], check=True, capture_output=True)
    start = db.server_command()[-1].split("exec docker-entrypoint.sh ", 1)[1]  # after the init script
    program, *args = (pointed(a, folder) for a in start.split() if a != "\\")
    assert program == "mariadbd" and "--require-secure-transport=ON" in args
    server = subprocess.Popen([program, "--no-defaults", f"--datadir={folder}/data", f"--socket={sock}",
                               f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={folder}/pid", *args,
                               *(["--user=mysql"] if os.geteuid() == 0 else [])],
                              stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"))  # noqa: SIM115
    health = [*db.health.exec_test(), f"--socket={sock}"]

    def query(*tls: str) -> subprocess.CompletedProcess:
        return subprocess.run(["mariadb", "-h", LOOPBACK_NAME, "--protocol=tcp", "-P", str(port), "-u", "shop", *tls,
                               "-e", "SHOW STATUS LIKE 'Ssl_version'"], env={**os.environ, "MYSQL_PWD": PASSWORD},
                              capture_output=True, text=True, timeout=30)

    try:
        assert wait_until(lambda: sock.exists() and health_ok(health)), (folder / "server.log").read_text()[-500:]
        sql = (f"CREATE DATABASE shop; CREATE USER 'shop'@'localhost' IDENTIFIED BY '{PASSWORD}';"
               "GRANT ALL ON shop.* TO 'shop'@'localhost'; CREATE TABLE shop.items (id INT PRIMARY KEY);")
        subprocess.run(["mariadb", f"--socket={sock}", "-u", "root", "-e", sql], check=True, capture_output=True)
        verified = query("--ssl", f"--ssl-ca={ca}", "--ssl-verify-server-cert")
        assert verified.returncode == 0 and "TLSv1" in verified.stdout, verified.stderr
        plain = query("--skip-ssl")
        assert plain.returncode != 0 and ("insecure transport" in plain.stderr or "Access denied" in plain.stderr)
        # Each host a client is told (the other namespace's, the same namespace's) is a name of the certificate.
        hosts = {told(files, "web", "front")["DB_HOST"], told(files, "api", "back")["DB_HOST"],
                 f"db.{db.namespace}.svc"}
        assert hosts == {"db.back", "db", "db.back.svc"}
        for host in hosts:
            checked = s_client("mysql", port, host, ca)
            assert checked.returncode == 0 and "Verification: OK" in checked.stderr, checked.stderr
        assert s_client("mysql", port, "db.elsewhere", ca).returncode != 0  # a name it was not issued for
        assert "ssl-mode=VERIFY_IDENTITY" in told(files, "web", "front")["DB_URL"]
        backups = backup_over_tls(db, folder, password_file, port, DB_HOST=LOOPBACK_NAME, DB_USER="shop",
                                  DB_NAME="shop")
        assert "CREATE TABLE `items`" in next(backups.glob("db-*.sql")).read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)
    shutil.rmtree(folder, ignore_errors=True)


def test_postgres_serves_tls_and_the_url_its_clients_get_verifies_it(tmp_path, password_file):  # noqa: F811
    bindir = postgres_bindir()
    db, files = make_db("postgres", "16", tmp_path)
    folder, _ = issued_folder(db, "postgres")
    port, user = free_port(), as_user("postgres")
    subprocess.run([*user, str(bindir / "initdb"), "-D", f"{folder}/data", "-U", db.user, "--auth=scram-sha-256",
                    f"--pwfile={password_file}"], check=True, capture_output=True)
    (folder / "init").mkdir()
    shutil.chown(folder / "init", "postgres") if os.geteuid() == 0 else None
    shell, flag, script = db.server_command()
    script = pointed(script, folder).replace("/docker-entrypoint-initdb.d", f"{folder}/init").replace(
        "exec docker-entrypoint.sh postgres",
        f"exec {bindir}/postgres -D {folder}/data -p {port} -k {folder} -c listen_addresses=127.0.0.1")
    server = subprocess.Popen([*user, shell, flag, script], env={**os.environ, "DB_PASSWORD_FILE": str(password_file)},
                              stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"))  # noqa: SIM115
    # The very URL the client in the other namespace gets, its CA's path in the test's folder, connecting to
    # loopback while libpq checks the name the URL holds (hostaddr).
    url = pointed(told(files, "web", "front")["DB_URL"], folder)
    url = url.replace(":5432/", f":{port}/").replace("/shop?", "/postgres?")
    assert "sslmode=verify-full" in url and "@db.back:" in url
    pg = {**os.environ, "PGPASSWORD": PASSWORD}

    def psql(target: str) -> subprocess.CompletedProcess:
        return subprocess.run(["psql", target, "-Atc", "select ssl from pg_stat_ssl where pid = pg_backend_pid()"],
                              env=pg, capture_output=True, text=True, timeout=30)

    try:
        assert wait_until(lambda: psql(url + "&hostaddr=127.0.0.1").returncode == 0), \
            (folder / "server.log").read_text()[-2000:]
        assert psql(url + "&hostaddr=127.0.0.1").stdout.strip() == "t"
        wrong = psql(url.replace("@db.back:", "@db.elsewhere:") + "&hostaddr=127.0.0.1")
        assert wrong.returncode != 0 and "does not match host name" in wrong.stderr
        plain = psql(url.replace("sslmode=verify-full", "sslmode=disable") + "&hostaddr=127.0.0.1")
        assert plain.returncode != 0 and "no encryption" in plain.stderr
        assert health_ok(with_port(db.health.exec_test(), 5432, port))
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", db.user, db.database],
                       env={**pg, "PGSSLMODE": "require"}, check=True)
        backup_over_tls(db, folder, password_file, port, DB_HOST=LOOPBACK_NAME, DB_USER=db.user, DB_NAME=db.database)
    finally:
        server.terminate()
        server.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
