"""A dump made by the generated backup script, as the database's backup user, restored by the generated restore
script into a scratch server, then queried: PostgreSQL, MariaDB and Redis on loopback (Debian's packages). The
backup user is created by the server's own init (PostgreSQL's and MariaDB's scripts from the generated start
command, Redis' ACL file) and may only read: its writes fail on the real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engines.test_real_engines import (  # noqa: F401
    PASSWORD,
    as_user,
    free_port,
    fresh_postgres,
    init_script,
    make_db,
    owned_folder,
    password_file,
    postgres_bindir,
    psql_tcp,
    require,
    run_init_sql,
    wait_until,
)
from shipform.model.backup import backup_script
from shipform.model.restore import restore_script

pytestmark = pytest.mark.engines


def secret(folder: Path, name: str, value: str) -> Path:
    path = folder / name
    path.write_text(value + "\n")
    path.chmod(0o644)
    return path


@pytest.fixture
def passwords() -> dict[str, Path]:
    """The application's and the backup user's passwords (each its own), readable by the servers' users."""
    folder = Path(tempfile.mkdtemp(prefix="shipform-pw-"))
    folder.chmod(0o755)
    return {"app": secret(folder, "app", PASSWORD), "backup": secret(folder, "backup", "bk-" + os.urandom(6).hex())}


def run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def backup(db, port: int, password: Path, folder: Path) -> Path:
    """The generated backup script, logged in as the backup job is (its DB_USER and password); the dump."""
    assert db.backup is not None
    job_env = db.backup.env
    folder.mkdir()
    result = run(backup_script(db), {"DB_HOST": "127.0.0.1", "DB_PORT": str(port), "DB_USER": job_env["DB_USER"],
                                     "DB_NAME": job_env["DB_NAME"], "DB_PASSWORD_FILE": str(password),
                                     "BACKUP_DIR": str(folder), "BACKUP_PREFIX": db.name, "RETENTION": "2"})
    assert result.returncode == 0, result.stderr
    [dump] = folder.glob(f"{db.name}-*.{db.engine.dump_suffix}")
    return dump


def restore(db, dumps: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The generated restore script, with the restore job's variables (``env`` overrides them)."""
    assert db.restore is not None
    job_env = {k: v for k, v in db.restore.env.items() if k not in ("BACKUP_DIR",)}
    return run(restore_script(db), {**job_env, "BACKUP_DIR": str(dumps), **env})


def test_every_backup_has_a_suspended_restore_that_logs_in_as_the_application(tmp_path):
    for engine, version in (("postgres", "16"), ("mariadb", "11.4"), ("redis", "7.4")):
        db = make_db(engine, version, tmp_path / engine)
        assert db.backup is not None and db.restore is not None
        # The dump logs in as the engine's read-only backup user, with its own password.
        assert db.backup.env["DB_USER"] == "backup" and db.backup.secrets["DB_PASSWORD"].key == "backup-password"
        if engine == "redis":  # written into the stopped server's data folder: no login at all
            assert "DB_PASSWORD" not in db.restore.secrets and db.restore.env["DATA_DIR"] == "/data"
        else:
            assert db.restore.env["DB_USER"] == db.user and db.restore.secrets["DB_PASSWORD"] == db.password


# ------------------------------------------------------------------ PostgreSQL
def test_postgres_backup_role_reads_only_and_its_dump_restores_into_a_scratch_server(tmp_path, passwords):
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    script = init_script(db, tmp_path)
    with fresh_postgres(bindir) as (port, superuser):
        made = run_init_sql(bindir, superuser, script, passwords["app"], passwords["backup"])
        assert made.returncode == 0, made.stderr
        own = psql_tcp(port, db.user, db.database, "create table items (id int primary key, name text); "
                       "insert into items values (1, 'one'), (2, 'two'); create sequence tickets")
        assert own.returncode == 0, own.stderr
        backup_pw = passwords["backup"].read_text().strip()
        # The backup login reads every table and writes nothing: no row, no table, no sequence step.
        assert psql_tcp(port, "backup", db.database, "select count(*) from items", backup_pw).stdout.strip() == "2"
        for sql, denied in (("insert into items values (3, 'three')", "permission denied for table items"),
                            ("update items set name = 'x'", "permission denied for table items"),
                            ("delete from items", "permission denied for table items"),
                            ("create table stolen (id int)", "permission denied for schema public"),
                            ("select nextval('tickets')", "permission denied for sequence tickets")):
            refused = psql_tcp(port, "backup", db.database, sql, backup_pw)
            assert refused.returncode != 0 and denied in refused.stderr, (sql, refused.stderr)
        assert psql_tcp(port, db.user, db.database, "select count(*) from items").stdout.strip() == "2"
        dump = backup(db, port, passwords["backup"], tmp_path / "dumps")
    # A scratch server, set up by the same init script: the dump restores as the application's login.
    with fresh_postgres(bindir) as (port, superuser):
        made = run_init_sql(bindir, superuser, script, passwords["app"], passwords["backup"])
        assert made.returncode == 0, made.stderr
        restored = restore(db, dump.parent, DB_HOST="127.0.0.1", DB_PORT=str(port),
                           DB_PASSWORD_FILE=str(passwords["app"]))
        assert restored.returncode == 0, restored.stderr
        assert f"restored: {dump}" in restored.stdout
        rows = psql_tcp(port, db.user, db.database, "select id, name from items order by id")
        assert rows.stdout.split() == ["1|one", "2|two"]
        # A chosen dump into a database named on the Job (the application's login owns it), restored twice: the
        # second run replaces what the first made.
        subprocess.run([str(bindir / "psql"), "-X", "-U", "postgres", "-d", "postgres", "-c",
                        f'create database scratch owner "{db.user}"'], env=superuser, check=True, capture_output=True)
        for _ in range(2):
            again = restore(db, dump.parent, DB_HOST="127.0.0.1", DB_PORT=str(port), DB_NAME="scratch",
                            DB_PASSWORD_FILE=str(passwords["app"]), RESTORE_FILE=dump.name)
            assert again.returncode == 0, again.stderr
        assert psql_tcp(port, db.user, "scratch", "select count(*) from items").stdout.strip() == "2"


def test_a_restore_without_a_dump_fails_and_says_so(tmp_path):
    db = make_db("postgres", "16", tmp_path)
    (tmp_path / "empty").mkdir()
    result = restore(db, tmp_path / "empty", DB_PASSWORD_FILE="/unused")
    assert result.returncode != 0 and "no dump to restore" in result.stderr
    result = restore(db, tmp_path / "empty", DB_PASSWORD_FILE="/unused", RESTORE_FILE="db-20260101T000000Z.dump")
    assert result.returncode != 0 and "no dump to restore" in result.stderr


# ------------------------------------------------------------------ MariaDB
@contextmanager
def mariadb_server(db, backup_password: Path | None = None) -> Iterator[int]:
    """A fresh server with the application's user, which has every right on its database (as the image's
    MARIADB_USER has), and with ``backup_password`` the backup user the generated init script adds (sourced as the
    image's entrypoint does, its docker_process_sql running SQL as root over the socket); yields the port."""
    require(bool(shutil.which("mariadbd")), "mariadb-server")
    folder, port = owned_folder("mysql"), free_port()
    sock = folder / "mysqld.sock"
    owner = "mysql" if os.geteuid() == 0 else None
    subprocess.run(["mariadb-install-db", f"--user={owner or os.getlogin()}", f"--datadir={folder}/data",
                    "--auth-root-authentication-method=socket", "--skip-test-db"], check=True, capture_output=True)
    server = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={folder}/data", f"--socket={sock}",
                               f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={folder}/pid",
                               *([f"--user={owner}"] if owner else [])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = ["mariadb", f"--socket={sock}", "-u", "root"]
    try:
        assert wait_until(lambda: subprocess.run([*root, "-e", "select 1"], capture_output=True).returncode == 0)
        subprocess.run([*root, "-e", "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES; "
                        f"CREATE DATABASE {db.database}; CREATE USER '{db.user}'@'%' IDENTIFIED BY '{PASSWORD}'; "
                        f"GRANT ALL ON `{db.database}`.* TO '{db.user}'@'%';"], check=True, capture_output=True)
        if backup_password is not None:
            script = init_script(db, folder)
            stub = f'docker_process_sql() {{ mariadb --socket="{sock}" -u root "$@"; }}\n. "$0"'
            added = subprocess.run(["bash", "-c", stub, str(script)], capture_output=True, text=True,
                                   env={**os.environ, "DB_BACKUP_PASSWORD_FILE": str(backup_password)})
            assert added.returncode == 0, added.stderr
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def mariadb(port: int, user: str, password: Path, database: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mariadb", "-h", "127.0.0.1", "-P", str(port), "-u", user, "-N", database, "-e", sql],
                          env={**os.environ, "MYSQL_PWD": password.read_text().strip()}, capture_output=True,
                          text=True, timeout=30)


def test_mariadb_backup_user_reads_only_and_its_dump_restores_into_a_scratch_server(tmp_path, passwords):
    db = make_db("mariadb", "11.4", tmp_path)
    assert db.backup is not None and db.backup.env["DB_USER"] == "backup"
    with mariadb_server(db, passwords["backup"]) as port:
        made = mariadb(port, db.user, passwords["app"], db.database,
                       "CREATE TABLE items (id INT PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'one'), "
                       "(2, 'two'); CREATE VIEW named AS SELECT name FROM items; "
                       "CREATE PROCEDURE counted() SELECT COUNT(*) FROM items;")
        assert made.returncode == 0, made.stderr
        for write in ("INSERT INTO items VALUES (3, 'three')", "UPDATE items SET name = 'x'", "DELETE FROM items",
                      "DROP TABLE items", "CREATE TABLE other (id INT)", "CREATE DATABASE other"):
            refused = mariadb(port, "backup", passwords["backup"], db.database, write)
            assert refused.returncode != 0 and "denied" in refused.stderr, (write, refused.stderr)
        dump = backup(db, port, passwords["backup"], tmp_path / "dumps")
        assert "CREATE DEFINER" in dump.read_text() and "counted" in dump.read_text()  # routines too
    with mariadb_server(db) as port:
        restored = restore(db, dump.parent, DB_HOST="127.0.0.1", DB_PORT=str(port),
                           DB_PASSWORD_FILE=str(passwords["app"]))
        assert restored.returncode == 0, restored.stderr
        rows = mariadb(port, db.user, passwords["app"], db.database, "SELECT id, name FROM items ORDER BY id")
        assert rows.stdout.split() == ["1", "one", "2", "two"]
        assert mariadb(port, db.user, passwords["app"], db.database, "SELECT name FROM named ORDER BY name").stdout \
            .split() == ["one", "two"]


# ------------------------------------------------------------------ Redis
@contextmanager
def redis_server(db, folder: Path, passwords: dict[str, Path]) -> Iterator[int]:
    """The generated server command, pointed at ``folder`` (its data) and a free port."""
    require(bool(shutil.which("redis-server")), "redis-server")
    port = free_port()
    command = [a.replace("/tmp/redis.conf", f"{folder}/redis.conf").replace("--dir /data", f"--dir {folder}")
               .replace("--port 6379", f"--port {port}") for a in db.server_command()]
    env = {**os.environ, "DB_PASSWORD_FILE": str(passwords["app"]), "DB_BACKUP_PASSWORD_FILE": str(passwords["backup"])}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: redis(port, "backup", passwords["backup"], "PING") == "PONG")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def redis(port: int, user: str, password: Path, *command: str) -> str:
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "--user", user, *command],
                            env={**os.environ, "REDISCLI_AUTH": password.read_text().strip()}, capture_output=True,
                            text=True, timeout=20)
    return (result.stdout + result.stderr).strip()


def test_redis_backup_user_reads_only_and_its_dump_restores_into_a_scratch_server(tmp_path, passwords):
    db = make_db("redis", "7.4", tmp_path)
    live, scratch = tmp_path / "live", tmp_path / "scratch"
    live.mkdir()
    scratch.mkdir()
    with redis_server(db, live, passwords) as port:
        assert redis(port, db.user, passwords["app"], "SET", "cart:1", "3") == "OK"
        assert redis(port, db.user, passwords["app"], "RPUSH", "jobs", "a", "b") == "2"
        for command in (("SET", "cart:1", "0"), ("DEL", "cart:1"), ("FLUSHALL",), ("GET", "cart:1"),
                        ("CONFIG", "SET", "dir", "/tmp")):
            assert "NOPERM" in redis(port, "backup", passwords["backup"], *command), command
        dump = backup(db, port, passwords["backup"], tmp_path / "dumps")
    # The scratch server's folder has append-only files of its own, which the dump's replace whole.
    (scratch / "appendonlydir").mkdir()
    (scratch / "appendonlydir" / "stale.aof").write_text("")
    restored = restore(db, dump.parent, DATA_DIR=str(scratch))
    assert restored.returncode == 0, restored.stderr
    assert sorted(p.name for p in (scratch / "appendonlydir").iterdir()) == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.manifest"]
    with redis_server(db, scratch, passwords) as port:
        assert redis(port, db.user, passwords["app"], "GET", "cart:1") == "3"
        assert redis(port, db.user, passwords["app"], "LRANGE", "jobs", "0", "-1").split() == ["a", "b"]
