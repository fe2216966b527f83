"""The restore drill against real PostgreSQL, MariaDB and Redis (Debian's packages): a dump made by the generated
backup script, as the backup user, is restored by the generated drill script into a scratch server the drill makes
and starts itself, and the check passes; an empty, cut-short or corrupted dump, a missing dump and a check that
finds nothing each fail the drill with a message that says which. The drill runs as a user ID the system does not
know (as a pod's own UID is) where the engine allows it, and leaves neither a server nor a file behind.

And the manual restore: a chosen dump (not the newest) into a database named on the Job."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import write_sources
from engines import test_restore
from engines.test_real_engines import (
    free_port,
    fresh_postgres,
    init_script,
    postgres_bindir,
    psql_tcp,
    require,
    run_init_sql,
)
from engines.test_restore import backup, mariadb, mariadb_server, redis, redis_server, restore
from shipform.model.drill import drill_script
from shipform.model.scratch_servers import SCRATCH_SERVERS

pytestmark = pytest.mark.engines
passwords = test_restore.passwords  # the fixture: the application's and the backup user's passwords
POD_UID = 43210
"""A user ID without a name, as a pod's own UID is."""


def make_db(engine: str, version: str, tmp: Path, check: str | None = None):
    from shipform import App, Backup, Drill, Environment, StatefulDB

    write_sources(tmp)
    app = App("shop", registry="ghcr.io/acme", root=tmp)
    env = Environment(app, "dev", local=True)
    return StatefulDB(env, "db", engine=engine, version=version,
                      backup=Backup(schedule="@daily", retention=2, drill=Drill("0 5 * * 0", check=check)))


def scratch_folder() -> Path:
    """Where the drill makes its scratch servers (the pod's emptyDir), writable by the drill's user."""
    folder = Path(tempfile.mkdtemp(prefix="shipform-drill-"))
    folder.chmod(0o1777)
    return folder


def drill(db, dumps: Path, scratch: Path, user: list[str], path: str = "", **env: str) -> subprocess.CompletedProcess:
    """The generated drill script as the drill's container runs it (its env; ``env`` overrides it), as ``user``."""
    assert db.drill is not None
    script = drill_script(db.engine, SCRATCH_SERVERS[db.engine.name])
    assert db.drill.command == ["sh", "-c", script]
    job_env = {**db.drill.env, "BACKUP_DIR": str(dumps), "SCRATCH_DIR": str(scratch), "SCRATCH_PORT": str(free_port())}
    full = {"PATH": f"{path}:{os.environ['PATH']}" if path else os.environ["PATH"], **job_env, **env}
    result = subprocess.run([*user, "env", *(f"{k}={v}" for k, v in full.items()), "sh", "-c", script],
                            env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=180)
    assert list(scratch.iterdir()) == []  # its folder is gone, pass or fail
    return result


def pod_user() -> list[str]:
    return ["setpriv", f"--reuid={POD_UID}", f"--regid={POD_UID}", "--clear-groups"] if os.geteuid() == 0 else []


def postgres_pod_user() -> list[str]:
    """initdb and postgres refuse a user ID without a name: the drill names it through nss_wrapper, as the image's
    entrypoint does (the official image ships the library; Debian's package libnss-wrapper here)."""
    require(bool(glob.glob("/usr/lib/*/libnss_wrapper.so")), "libnss-wrapper")
    return pod_user()


def failed(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode != 0, result.stdout
    assert f"restore drill failed: {message}" in result.stderr, result.stderr


def readable(dump: Path) -> Path:
    """The dump in a folder of its own the drill's user may read (pytest's own folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="shipform-dumps-"))
    folder.chmod(0o755)
    copy = Path(shutil.copy(dump, folder / dump.name))
    copy.chmod(0o644)
    return copy


def cut(dump: Path, keep: float) -> None:
    data = dump.read_bytes()
    dump.write_bytes(data[:int(len(data) * keep)])


# ------------------------------------------------------------------ PostgreSQL
def test_postgres_drill_restores_the_newest_dump_into_a_scratch_server_and_checks_it(tmp_path, passwords):
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    assert db.drill is not None and db.drill.env["DRILL_CHECK"].startswith("SELECT count(*) FROM pg_catalog.pg_tables")
    with fresh_postgres(bindir) as (port, superuser):
        made = run_init_sql(bindir, superuser, init_script(db, tmp_path), passwords["app"], passwords["backup"])
        assert made.returncode == 0, made.stderr
        own = psql_tcp(port, db.user, db.database, "create table items (id int primary key, name text); "
                       "insert into items values (1, 'one'), (2, 'two')")
        assert own.returncode == 0, own.stderr
        dump = readable(backup(db, port, passwords["backup"], tmp_path / "dumps"))
    user, scratch = postgres_pod_user(), scratch_folder()
    passed = drill(db, dump.parent, scratch, user, str(bindir))
    assert passed.returncode == 0 and passed.stderr == "", passed.stderr  # a passing drill says nothing else
    assert passed.stdout.strip() == f"restore drill passed: {dump} restored into a scratch server, the check returned 1"
    counted = drill(db, dump.parent, scratch, user, str(bindir), DRILL_CHECK="SELECT count(*) FROM items")
    assert counted.returncode == 0 and counted.stdout.strip().endswith("the check returned 2"), counted.stderr
    failed(drill(db, dump.parent, scratch, user, str(bindir), DRILL_CHECK="SELECT count(*) FROM items WHERE id > 2"),
           "the check returned '0': SELECT count(*) FROM items WHERE id > 2")
    failed(drill(db, dump.parent, scratch, user, str(bindir), DRILL_CHECK="SELECT count(*) FROM orders"),
           "the check failed: SELECT count(*) FROM orders")
    # A dump cut short does not restore; an empty one and none at all are named as such.
    cut(dump, 0.6)
    failed(drill(db, dump.parent, scratch, user, str(bindir)), f"the dump {dump} did not restore")
    dump.write_bytes(b"")
    failed(drill(db, dump.parent, scratch, user, str(bindir)), f"the dump {dump} is empty")
    dump.unlink()
    failed(drill(db, dump.parent, scratch, user, str(bindir)), f"no dump of db in {dump.parent}")


def test_postgres_drill_of_a_database_without_tables_fails(tmp_path, passwords):
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    with fresh_postgres(bindir) as (port, superuser):
        made = run_init_sql(bindir, superuser, init_script(db, tmp_path), passwords["app"], passwords["backup"])
        assert made.returncode == 0, made.stderr
        dump = readable(backup(db, port, passwords["backup"], tmp_path / "dumps"))
    failed(drill(db, dump.parent, scratch_folder(), postgres_pod_user(), str(bindir)), "the check returned '0'")


# ------------------------------------------------------------------ MariaDB
def test_mariadb_drill_restores_into_a_scratch_server_as_a_user_without_a_name(tmp_path, passwords):
    db = make_db("mariadb", "11.4", tmp_path, check="SELECT COUNT(*) FROM items")
    with mariadb_server(db, passwords["backup"]) as port:
        made = mariadb(port, db.user, passwords["app"], db.database,
                       "CREATE TABLE items (id INT PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'one'), "
                       "(2, 'two'), (3, 'three');")
        assert made.returncode == 0, made.stderr
        dump = readable(backup(db, port, passwords["backup"], tmp_path / "dumps"))
    scratch = scratch_folder()
    passed = drill(db, dump.parent, scratch, pod_user())
    assert passed.returncode == 0 and passed.stderr == "", passed.stderr  # a passing drill says nothing else
    assert passed.stdout.strip().endswith("the check returned 3")
    failed(drill(db, dump.parent, scratch, pod_user(), DRILL_CHECK="SELECT COUNT(*) > 5 FROM items"),
           "the check returned '0'")
    # A dump cut short at a statement's end would restore without an error: its missing last line says so.
    text = dump.read_text()
    dump.write_text(text[:text.index("-- Dump completed")])
    failed(drill(db, dump.parent, scratch, pod_user()), f"the dump {dump} is incomplete")
    dump.write_text(text.replace("INSERT INTO", "INSERT INTOO", 1))
    failed(drill(db, dump.parent, scratch, pod_user()), f"the dump {dump} did not restore")


def test_postgres_manual_restore_takes_a_chosen_dump_into_a_named_database(tmp_path, passwords):
    """Two dumps: RESTORE_FILE picks the older (the newest holds another row), DB_NAME a database other than the
    app's, which the application's user owns; the app's own database is left as it was."""
    bindir = postgres_bindir()
    db = make_db("postgres", "16", tmp_path)
    dumps = tmp_path / "dumps"
    with fresh_postgres(bindir) as (port, superuser):
        made = run_init_sql(bindir, superuser, init_script(db, tmp_path), passwords["app"], passwords["backup"])
        assert made.returncode == 0, made.stderr
        assert psql_tcp(port, db.user, db.database, "create table items (id int primary key); "
                        "insert into items values (1)").returncode == 0
        older = backup(db, port, passwords["backup"], dumps)
        chosen = older.with_name("db-20200101T000000Z.dump")  # an older name, as the backup's clock writes them
        older.rename(chosen)
        assert psql_tcp(port, db.user, db.database, "insert into items values (2)").returncode == 0
        newest = backup(db, port, passwords["backup"], tmp_path / "newest")
        newest = newest.rename(dumps / newest.name)
        assert sorted(p.name for p in dumps.iterdir()) == [chosen.name, newest.name]
        subprocess.run([str(bindir / "psql"), "-X", "-U", "postgres", "-d", "postgres", "-c",
                        f'create database shop_copy owner "{db.user}"'], env=superuser, check=True,
                       capture_output=True)
        restored = restore(db, dumps, DB_HOST="127.0.0.1", DB_PORT=str(port), DB_PASSWORD_FILE=str(passwords["app"]),
                           RESTORE_FILE=chosen.name, DB_NAME="shop_copy")
        assert restored.returncode == 0, restored.stderr
        assert restored.stdout.strip() == f"restored: {chosen}"
        assert psql_tcp(port, db.user, "shop_copy", "select id from items").stdout.split() == ["1"]
        assert psql_tcp(port, db.user, db.database, "select id from items order by id").stdout.split() == ["1", "2"]
        # Without RESTORE_FILE, the newest.
        latest = restore(db, dumps, DB_HOST="127.0.0.1", DB_PORT=str(port), DB_PASSWORD_FILE=str(passwords["app"]),
                         DB_NAME="shop_copy")
        assert latest.returncode == 0 and latest.stdout.strip() == f"restored: {newest}", latest.stderr
        assert psql_tcp(port, db.user, "shop_copy", "select id from items order by id").stdout.split() == ["1", "2"]


# ------------------------------------------------------------------ Redis
def test_redis_drill_restores_into_a_scratch_server_as_a_user_without_a_name(tmp_path, passwords):
    db = make_db("redis", "7.4", tmp_path)
    live = tmp_path / "live"
    live.mkdir()
    with redis_server(db, live, passwords) as port:
        assert redis(port, db.user, passwords["app"], "SET", "cart:1", "3") == "OK"
        assert redis(port, db.user, passwords["app"], "RPUSH", "jobs", "a", "b") == "2"
        dump = readable(backup(db, port, passwords["backup"], tmp_path / "dumps"))
    scratch = scratch_folder()
    passed = drill(db, dump.parent, scratch, pod_user())
    assert passed.returncode == 0 and passed.stderr == "", passed.stderr  # a passing drill says nothing else
    assert passed.stdout.strip().endswith("the check returned 2")  # DBSIZE: both keys
    assert drill(db, dump.parent, scratch, pod_user(), DRILL_CHECK="GET cart:1").stdout.strip().endswith(
        "the check returned 3")
    failed(drill(db, dump.parent, scratch, pod_user(), DRILL_CHECK="EXISTS cart:2"), "the check returned '0'")
    failed(drill(db, dump.parent, scratch, pod_user(), DRILL_CHECK="NOSUCHCOMMAND"), "the check failed")
    # A flipped byte breaks the dump's checksum: redis-check-rdb says so before anything is restored.
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    failed(drill(db, dump.parent, scratch, pod_user()), f"the dump {dump} is not a sound RDB file")
