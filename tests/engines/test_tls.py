"""StatefulDB(tls=...) against real PostgreSQL and Redis servers on loopback: the generated start command (only
its paths and port pointed at the test's folder) serves TLS only, a plain connection is refused, a client that
verifies the server with ca.crt gets in, and the generated health check, backup and restore work over TLS. The
certificate is the one `shipform secrets init-local` makes for compose (openssl, a CA of its own)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

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
from shipform.delivery.local_secrets import _openssl_certificate
from shipform.model.backup import backup_script
from shipform.model.restore import restore_script

pytestmark = pytest.mark.engines


def make_db(engine: str, version: str, tmp: Path):
    from shipform import App, Backup, Environment, StatefulDB

    app = App("shop", registry="ghcr.io/acme", root=tmp)
    env = Environment(app, "dev", local=True)
    return StatefulDB(env, "db", engine=engine, version=version, tls="db-tls",
                      backup=Backup(schedule="@daily", retention=2))


def server_folder(owner: str) -> Path:
    """A folder the server's user owns, holding the Secret's three files as compose mounts them (0644)."""
    folder = Path(tempfile.mkdtemp(prefix="shipform-tls-"))
    (folder / "made").mkdir()
    made = _openssl_certificate(folder / "made", ["db", "localhost"])  # as init-local makes it for compose
    for key in ("tls.crt", "tls.key", "ca.crt"):
        target = folder / f"db-tls.{key}"
        shutil.copy(made / key, target)
        target.chmod(0o644)
    if os.geteuid() == 0:
        shutil.chown(folder, owner)
        for path in folder.rglob("*"):
            shutil.chown(path, owner)
    folder.chmod(0o755)
    return folder


def pointed(text: str, folder: Path) -> str:
    """The generated text with the Secret's files and the tmpfs in the test's folder."""
    return text.replace("/tmp/", f"{folder}/").replace("/run/secrets/db-tls.", f"{folder}/db-tls.")


def backup_over_tls(db, folder: Path, password: Path, port: int, **connection: str) -> Path:
    """Run the generated backup script, pointed at the test's folder, against the server; the backups folder."""
    backups = folder / "backups"
    backups.mkdir()
    env = {**os.environ, "DB_PORT": str(port), "DB_PASSWORD_FILE": str(password), "BACKUP_DIR": str(backups),
           "DB_TLS_CA_FILE": f"{folder}/db-tls.ca.crt",
           "BACKUP_PREFIX": "db", "RETENTION": "2", **connection}
    result = subprocess.run(["sh", "-c", pointed(backup_script(db), folder)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return backups


def restore_over_tls(db, folder: Path, password: Path, port: int, backups: Path, **connection: str) -> None:
    """Run the generated restore script, pointed at the test's folder, with the newest dump of ``backups``."""
    env = {**os.environ, "DB_PORT": str(port), "DB_PASSWORD_FILE": str(password), "BACKUP_DIR": str(backups),
           "DB_TLS_CA_FILE": f"{folder}/db-tls.ca.crt", "BACKUP_PREFIX": "db", **connection}
    result = subprocess.run(["sh", "-c", pointed(restore_script(db), folder)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_postgres_serves_tls_only_and_its_backup_verifies_it(tmp_path, password_file):  # noqa: F811
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    folder, port = server_folder("postgres"), free_port()
    user = as_user("postgres")
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
    pg = {**os.environ, "PGPASSWORD": PASSWORD}

    def psql(mode: str, host: str = "127.0.0.1") -> subprocess.CompletedProcess:
        return subprocess.run(["psql", f"host={host} port={port} user={db.user} dbname=postgres sslmode={mode} "
                               f"sslrootcert={folder}/db-tls.ca.crt", "-Atc", "select ssl from pg_stat_ssl "
                               "where pid = pg_backend_pid()"], env=pg, capture_output=True, text=True)

    try:
        assert wait_until(lambda: psql("verify-full").returncode == 0), (folder / "server.log").read_text()[-2000:]
        by_name = psql("verify-full", "localhost")
        assert by_name.stdout.strip() == "t", by_name.stderr  # the certificate names the host
        refused = psql("disable")
        assert refused.returncode != 0 and "no encryption" in refused.stderr
        assert oct((folder / "server.key").stat().st_mode & 0o777) == "0o600"  # the key's private copy
        assert health_ok(with_port(db.health.exec_test(), 5432, port))
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", db.user, db.database],
                       env={**pg, "PGSSLMODE": "require"}, check=True)
        sql = {**pg, "PGSSLMODE": "require"}
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", db.user, "-d", db.database, "-c",
                        "CREATE TABLE items (id int primary key); INSERT INTO items VALUES (7)"], env=sql, check=True,
                       capture_output=True)
        connection = {"DB_HOST": "localhost", "DB_USER": db.user, "DB_NAME": db.database}
        backups = backup_over_tls(db, folder, password_file, port, **connection)
        assert "PGSSLMODE=verify-full" in backup_script(db)
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", db.user, "-d", db.database, "-c",
                        "DROP TABLE items"], env=sql, check=True, capture_output=True)
        # The restore verifies the server and its name too (verify-full), and brings the table back.
        assert "PGSSLMODE=verify-full" in restore_script(db)
        restore_over_tls(db, folder, password_file, port, backups, **connection)
        rows = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", db.user, "-d", db.database, "-Atc",
                               "SELECT id FROM items"], env=sql, capture_output=True, text=True, check=True)
        assert rows.stdout.strip() == "7"
    finally:
        server.terminate()
        server.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


def test_redis_serves_tls_only_and_its_health_and_backup_verify_it(tmp_path, password_file):  # noqa: F811
    require(bool(shutil.which("redis-server")), "redis-server")
    db = make_db("redis", "7.4", tmp_path)
    folder, port = server_folder("root"), free_port()  # redis runs as whoever runs the test: no owner to give
    command = [pointed(a, folder).replace("--dir /data", f"--dir {folder}")
               for a in with_port(db.server_command(), 6379, port)]
    env = {"DB_PASSWORD_FILE": str(password_file), "DB_BACKUP_PASSWORD_FILE": str(password_file),
           "DB_TLS_CA_FILE": f"{folder}/db-tls.ca.crt"}
    server = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = [pointed(a, folder) for a in with_port(db.health.exec_test(), 6379, port)]

    def ping(*tls: str) -> subprocess.CompletedProcess:
        return subprocess.run(["redis-cli", *tls, "--user", "backup", "-h", "127.0.0.1", "-p", str(port), "ping"],
                              env={**os.environ, "REDISCLI_AUTH": PASSWORD}, capture_output=True, text=True, timeout=20)

    try:
        assert wait_until(lambda: health_ok(health, env)), ping("--tls", "--cacert", f"{folder}/db-tls.ca.crt")
        assert ping("--tls", "--cacert", f"{folder}/db-tls.ca.crt").stdout.strip() == "PONG"
        assert ping().stdout.strip() != "PONG"  # no plain port
        backups = backup_over_tls(db, folder, password_file, port, DB_HOST="127.0.0.1")
        assert next(backups.glob("db-*.rdb")).read_bytes().startswith(b"REDIS")
    finally:
        server.terminate()
        server.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


def test_mariadb_takes_tls_only_over_tcp_and_its_backup_verifies_it(tmp_path, password_file):  # noqa: F811
    require(bool(shutil.which("mariadbd")), "mariadb-server")
    db = make_db("mariadb", "11.4", tmp_path)
    owner = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    folder, port = server_folder(owner), free_port()
    sock = folder / "mysqld.sock"
    subprocess.run(["mariadb-install-db", f"--user={owner}", f"--datadir={folder}/data",
                    "--auth-root-authentication-method=socket"], check=True, capture_output=True)
    start = db.server_command()[-1].split("exec docker-entrypoint.sh ", 1)[1]  # after the init script
    program, *args = (pointed(a, folder) for a in start.split() if a != "\\")
    assert program == "mariadbd" and "--require-secure-transport=ON" in args
    server = subprocess.Popen([program, "--no-defaults", f"--datadir={folder}/data", f"--socket={sock}",
                               f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={folder}/pid", *args,
                               *(["--user=mysql"] if os.geteuid() == 0 else [])],
                              stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "w"))  # noqa: SIM115
    health = [*db.health.exec_test(), f"--socket={sock}"]  # the image's socket, here in the test's folder

    def query(*tls: str) -> subprocess.CompletedProcess:
        return subprocess.run(["mariadb", "-h", "localhost", "--protocol=tcp", "-P", str(port), "-u", "shop", *tls,
                               "-e", "SHOW STATUS LIKE 'Ssl_version'; SHOW VARIABLES LIKE 'require_secure_transport'"],
                              env={**os.environ, "MYSQL_PWD": PASSWORD},
                              capture_output=True, text=True, timeout=30)

    try:
        assert wait_until(lambda: sock.exists() and health_ok(health)), (folder / "server.log").read_text()[-500:]
        sql = (f"CREATE DATABASE shop; CREATE USER 'shop'@'localhost' IDENTIFIED BY '{PASSWORD}';"
               "GRANT ALL ON shop.* TO 'shop'@'localhost'; CREATE TABLE shop.items (id INT PRIMARY KEY);")
        subprocess.run(["mariadb", f"--socket={sock}", "-u", "root", "-e", sql], check=True, capture_output=True)
        verified = query("--ssl", f"--ssl-ca={folder}/db-tls.ca.crt", "--ssl-verify-server-cert")
        assert verified.returncode == 0 and "TLSv1" in verified.stdout, verified.stderr
        assert "require_secure_transport\tON" in verified.stdout
        # The same login without TLS is refused (MariaDB 10.11 says "Access denied", later ones "insecure transport").
        plain = query("--skip-ssl")
        assert plain.returncode != 0 and ("insecure transport" in plain.stderr or "Access denied" in plain.stderr)
        root = ["mariadb", f"--socket={sock}", "-u", "root", "-e"]
        subprocess.run([*root, "INSERT INTO shop.items VALUES (7)"], check=True, capture_output=True)
        connection = {"DB_HOST": "localhost", "DB_USER": "shop", "DB_NAME": "shop"}
        backups = backup_over_tls(db, folder, password_file, port, **connection)
        assert "CREATE TABLE `items`" in next(backups.glob("db-*.sql")).read_text()
        subprocess.run([*root, "DELETE FROM shop.items"], check=True, capture_output=True)
        # The restore verifies the server's certificate and name as the backup does, and brings the row back.
        assert "--ssl-verify-server-cert" in restore_script(db)
        restore_over_tls(db, folder, password_file, port, backups, **connection)
        rows = subprocess.run([*root, "SELECT id FROM shop.items"], check=True, capture_output=True, text=True)
        assert rows.stdout.split() == ["id", "7"]
    finally:
        server.terminate()
        server.wait(timeout=60)
    shutil.rmtree(folder, ignore_errors=True)
