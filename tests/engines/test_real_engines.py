"""The generated health and backup commands, run against real PostgreSQL, MariaDB and Redis servers on
loopback (Debian's packages; .ci/run installs them). Proves they work, not only that they parse.

Only the port (and, for Redis, the config and data folders) differ from the generated commands: the
test servers listen on free loopback ports instead of the engines' defaults.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import write_sources
from shipform.model.backup import backup_script

pytestmark = pytest.mark.engines
PASSWORD = "s3cret-" + os.urandom(6).hex()


def require(present: bool, package: str) -> None:
    """Skip on a developer machine without the server; CI sets SHIPFORM_REQUIRE_ENGINES so it fails instead."""
    if present:
        return
    message = f"{package} is not installed (apt-get install {package})"
    if os.environ.get("SHIPFORM_REQUIRE_ENGINES"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_db(engine: str, version: str, tmp: Path):
    from shipform import App, Backup, Environment, StatefulDB

    write_sources(tmp)
    app = App("shop", registry="ghcr.io/acme", root=tmp)
    env = Environment(app, "dev", local=True)
    return StatefulDB(env, "db", engine=engine, version=version, backup=Backup(schedule="@daily", retention=2))


def with_port(command: list[str], default: int, port: int) -> list[str]:
    return [a.replace(str(default), str(port)) for a in command]


def as_user(user: str) -> list[str]:
    """Database servers refuse to run as root; CI runs as root, a developer usually does not."""
    return ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []


def owned_folder(user: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="shipform-engine-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        info = pwd.getpwnam(user)
        os.chown(folder, info.pw_uid, info.pw_gid)
    return folder


def wait_until(check, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def run_backups(db, port: int, password_file: Path, backup_dir: Path, times: int = 3) -> list[Path]:
    env = {**os.environ, "DB_HOST": "127.0.0.1", "DB_PORT": str(port), "DB_USER": db.user, "DB_NAME": db.database,
           "DB_PASSWORD_FILE": str(password_file), "BACKUP_DIR": str(backup_dir), "BACKUP_PREFIX": "db",
           "RETENTION": "2"}
    for _ in range(times):
        result = subprocess.run(["sh", "-c", backup_script(db)], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "backup written" in result.stdout
        time.sleep(1.1)  # dump names carry the time to the second
    return sorted(backup_dir.glob(f"db-*.{db.engine.dump_suffix}"))


def health_ok(command: list[str], env: dict | None = None) -> bool:
    return subprocess.run(command, capture_output=True, env={**os.environ, **(env or {})}, timeout=20).returncode == 0


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = Path(tempfile.mkdtemp(prefix="shipform-pw-")) / "password"
    path.write_text(PASSWORD + "\n")
    path.parent.chmod(0o755)
    path.chmod(0o644)
    return path


def test_postgres_health_and_backup(tmp_path, password_file):
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    require(bool(bins), "postgresql")
    bindir = Path(bins[-1]).parent
    db = make_db("postgres", "16", tmp_path)
    folder, port = owned_folder("postgres"), free_port()
    user = as_user("postgres")
    subprocess.run([*user, str(bindir / "initdb"), "-D", f"{folder}/data", "-U", "shop", "--auth=scram-sha-256",
                    f"--pwfile={password_file}"], check=True, capture_output=True)
    server = subprocess.Popen([*user, str(bindir / "postgres"), "-D", f"{folder}/data", "-p", str(port), "-k",
                               str(folder), "-c", "listen_addresses=127.0.0.1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    health = with_port(db.health.exec_test(), 5432, port)
    try:
        pg = {**os.environ, "PGPASSWORD": PASSWORD}
        assert wait_until(lambda: subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "shop", "-d",
                                                  "postgres", "-c", "select 1"], env=pg, capture_output=True)
                          .returncode == 0)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "shop", "shop"], env=pg, check=True)
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "shop", "-d", "shop", "-c",
                        "create table items (id int primary key); insert into items values (1), (2);"],
                       env=pg, check=True, capture_output=True)
        assert health_ok(health)
        backups = folder / "backups"
        backups.mkdir()
        dumps = run_backups(db, port, password_file, backups)
        assert len(dumps) == 2  # retention 2 after three runs
        listing = subprocess.run(["pg_restore", "--list", str(dumps[-1])], capture_output=True, text=True, check=True)
        assert "TABLE public items" in listing.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not health_ok(health)  # the probe fails once the server is gone
    shutil.rmtree(folder, ignore_errors=True)


def test_mariadb_health_and_backup(tmp_path, password_file):
    require(bool(shutil.which("mariadbd")), "mariadb-server")
    db = make_db("mariadb", "11.4", tmp_path)
    folder, port = owned_folder("mysql"), free_port()
    sock = folder / "mysqld.sock"
    owner = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(["mariadb-install-db", f"--user={owner}",
                    f"--datadir={folder}/data", "--auth-root-authentication-method=socket"],
                   check=True, capture_output=True)
    server = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={folder}/data", f"--socket={sock}",
                               f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={folder}/pid",
                               *(["--user=mysql"] if os.geteuid() == 0 else [])],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = with_port(db.health.exec_test(), 3306, port)
    try:
        assert wait_until(lambda: sock.exists() and health_ok(health))
        sql = (f"CREATE DATABASE shop; CREATE USER 'shop'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';"
               "GRANT ALL ON shop.* TO 'shop'@'127.0.0.1'; CREATE TABLE shop.items (id INT PRIMARY KEY);"
               "INSERT INTO shop.items VALUES (1), (2);")
        subprocess.run(["mariadb", f"--socket={sock}", "-u", "root", "-e", sql], check=True, capture_output=True)
        backups = folder / "backups"
        backups.mkdir()
        dumps = run_backups(db, port, password_file, backups)
        assert len(dumps) == 2
        assert "CREATE TABLE `items`" in dumps[-1].read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert not health_ok(health)
    shutil.rmtree(folder, ignore_errors=True)


def test_redis_server_command_health_and_backup(tmp_path, password_file):
    require(bool(shutil.which("redis-server")), "redis-server")
    db = make_db("redis", "7.4", tmp_path)
    folder, port = Path(tempfile.mkdtemp(prefix="shipform-redis-")), free_port()
    # The generated server command itself, pointed at this test's folders and port.
    command = [a.replace("/tmp/redis.conf", f"{folder}/redis.conf").replace("--dir /data", f"--dir {folder}")
               for a in with_port(db.command, 6379, port)]
    env = {"DB_PASSWORD_FILE": str(password_file)}
    server = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = with_port(db.health.exec_test(), 6379, port)
    try:
        assert wait_until(lambda: health_ok(health, env))
        assert PASSWORD not in " ".join(command)
        wrong = folder / "wrong"
        wrong.write_text("not-the-password\n")
        assert not health_ok(health, {"DB_PASSWORD_FILE": str(wrong)})  # a wrong password is unhealthy
        backups = folder / "backups"
        backups.mkdir()
        dumps = run_backups(db, port, password_file, backups)
        assert len(dumps) == 2
        assert dumps[-1].read_bytes().startswith(b"REDIS")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not health_ok(health, env)
    shutil.rmtree(folder, ignore_errors=True)
