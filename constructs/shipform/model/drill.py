"""The restore drill: on a schedule, the newest dump of a backup restored into a throwaway server in the drill's
own container, then a check query run against it; any step that fails fails the Job, loudly. A backup nobody has
restored is a hope, not a backup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.dump_access import RESTORE_DIR, DumpReaderJob, dumps_volume
from shipform.model.engines import Engine
from shipform.model.object_store import S3Target
from shipform.model.scratch_servers import SCRATCH_SERVERS, ScratchServer
from shipform.model.workload import Workload
from shipform.values.cron import validate_schedule
from shipform.values.prop_types import check_fields
from shipform.values.quantity import Memory
from shipform.values.value_object import value_object

DRILL_WAIT_SECONDS = 300
"""How long the scratch server may take to start (a large redis dump loads before the server answers)."""


@value_object
@dataclass(frozen=True)
class Drill:
    """``Backup(..., drill=Drill(schedule="0 5 * * 0", check="SELECT count(*) FROM orders"))``.

    Kubernetes: a CronJob ``<db>-drill`` restores the newest dump (from the claim, or fetched from the bucket with
    the restore's read-only access) into a scratch server of the same engine image, started in its own container,
    and runs ``check`` there as the application's user; it fails when there is no dump, when the dump is empty or
    incomplete, when it does not restore, or when the check fails or returns nothing, 0, false or NULL. It never
    reaches the database or holds its passwords. compose: a one-shot ``<db>-drill`` service under the ``drill``
    profile. Offered for postgres, mariadb and redis.

    :param schedule: cron schedule (required), as for CronJob; pick a time after the backup's.
    :param check: Default: the engine's: postgres and mariadb count the restored database's tables, redis its keys
        (``DBSIZE``). A query (redis: a command) whose first line of output must be neither empty, 0, f, false
        nor NULL, e.g. ``"SELECT count(*) > 0 FROM orders WHERE created_at > now() - interval '2 days'"``.
    """

    schedule: str
    check: str | None = None
    prop_example: ClassVar[str] = "Drill(schedule='0 5 * * 0')"

    def scratch_server(self, path: str, engine: Engine) -> ScratchServer:
        """The engine's scratch server, once the props are checked (``path`` names the database)."""
        check_fields(path, "backup.drill", self)
        validate_schedule(path, "backup.drill.schedule", self.schedule)
        check = self.check
        if check is not None and (not check.strip() or not check.isprintable() or len(check) > 1000):
            raise ShipformError(path, "backup.drill.check", "must be one line of at most 1000 characters: a query "
                                "(redis: a command) whose first line of output is the drill's verdict", check,
                                "write e.g. check=\"SELECT count(*) FROM orders\", or drop it for the engine's check")
        server = SCRATCH_SERVERS.get(engine.name)
        if server is None:
            offered = ", ".join(SCRATCH_SERVERS)
            raise ShipformError(path, "backup.drill", f"is offered for {offered}, not yet for {engine.name}", self,
                                "drop drill= and restore by hand now and then (kubectl create job "
                                "--from=cronjob/<id>-restore), or use one of " + offered)
        return server


def drill_script(engine: Engine, server: ScratchServer) -> str:
    """POSIX sh run in the engine's image (and by the tests against real servers): the newest dump in
    $BACKUP_DIR restored by the engine's own restore into a scratch server made in a fresh folder under
    $SCRATCH_DIR, then $DRILL_CHECK run there. The folder and the server are gone when it ends, pass or fail."""
    start = [
        f'{server.server} >"$WORK/server.log" 2>&1 &',
        "SERVER=$!",
        "i=0",
        f"until {server.ready}; do",
        '  kill -0 "$SERVER" 2>/dev/null || fail "the scratch server stopped: $(tail -n 5 "$WORK/server.log")"',
        f'  i=$((i + 1)); [ "$i" -lt {DRILL_WAIT_SECONDS} ] || fail "the scratch server did not start in '
        f'{DRILL_WAIT_SECONDS}s"',
        "  sleep 1",
        "done",
        *([server.setup] if server.setup else []),
    ]
    restore = ["(", engine.restore, ') || fail "the dump $DUMP did not restore (the errors above say why)"']
    return "\n".join([
        "set -eu",
        'fail() { echo "restore drill failed: $*" >&2; exit 1; }',
        f'DUMP="$(ls -1 "$BACKUP_DIR"/"$BACKUP_PREFIX"-[0-9]*T[0-9]*Z.{engine.dump_suffix} 2>/dev/null '
        '| tail -n 1)"',
        '[ -n "$DUMP" ] || fail "no dump of $BACKUP_PREFIX in $BACKUP_DIR"',
        '[ -s "$DUMP" ] || fail "the dump $DUMP is empty"',
        'WORK="$(mktemp -d "$SCRATCH_DIR/drill.XXXXXX")"',
        'SERVER=""',
        'trap \'[ -z "$SERVER" ] || { kill "$SERVER" && wait "$SERVER"; } 2>/dev/null || true; rm -rf "$WORK"\' EXIT',
        # What the engine's restore reads: the scratch server, which asks the application's user for no password.
        'DB_HOST=127.0.0.1 DB_PORT="$SCRATCH_PORT" DB_PASSWORD_FILE=/dev/null DATA_DIR="$WORK/data"',
        server.prepare,
        # An engine restored offline (redis) is restored into the data folder before its server starts.
        *([*restore, *start] if engine.restore_offline else [*start, *restore]),
        'OUT="$(' + server.query + ')" || fail "the check failed: $DRILL_CHECK"',
        'RESULT="$(printf \'%s\\n\' "$OUT" | head -n 1)"',
        'case "$RESULT" in ""|0|f|false|FALSE|NULL) fail "the check returned \'$RESULT\': $DRILL_CHECK" ;; esac',
        'echo "restore drill passed: $DUMP restored into a scratch server, the check returned $RESULT"',
    ])


class DrillJob(DumpReaderJob):
    """The CronJob a Backup's drill adds next to its database (``db.drill``). It connects to nothing and mounts no
    secret of the database: the dumps (read-only, or fetched with the restore's read-only access) are all it
    reads."""

    component = "restore-drill"
    on_demand = "drill"
    inject_connection_env = False
    reports_telemetry = False

    def __init__(self, db: Workload, drill: Drill, target: S3Target | None, size: Memory, scratch: Memory,
                 engine: Engine, server: ScratchServer, connection: dict[str, str]):
        """``size`` is the dumps' volume, ``scratch`` the scratch server's (the database's own size);
        ``connection`` names the application's user and database (DB_USER, DB_NAME), created empty in the
        scratch server for the dump to restore into."""
        self.db = db
        self._engine = engine  # not `engine`: that would make it look like a database to a Queue
        self.target = target
        self.size = size
        self.scratch = scratch
        env = {**connection, "BACKUP_DIR": RESTORE_DIR, "BACKUP_PREFIX": db.name, "SCRATCH_DIR": engine.data_path,
               "SCRATCH_PORT": str(engine.port), "DRILL_CHECK": drill.check or server.default_check}
        super().__init__(
            db.scope, f"{db.id}-drill", name=f"{db.name}-drill", schedule=drill.schedule, image=db.image,
            command=["sh", "-c", drill_script(engine, server)], env=env, resources=db.resource_props, backoff_limit=0,
        )
        self.named_after = db

    def volumes(self) -> tuple[spec.Volume, ...]:
        # The scratch server's files, where the image keeps its data folder: a fresh compose volume then takes
        # that folder's owner, so the drill (as the engine's user there) may write to it.
        scratch = spec.Volume("scratch", self._engine.data_path, f"{self.db.name}-drill",
                              spec.Scratch(self.scratch))
        return (dumps_volume(self.db.name, self.target, self.size), scratch)

