"""The restore of a backed-up database, ready before it is needed: a suspended CronJob ``<db>-restore`` whose Jobs
are created by hand, and a one-off compose service, that restore the newest dump (or a chosen one) with the engine's
own tool."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from shipform import spec
from shipform.model.backup import Backup
from shipform.model.dump_access import RESTORE_DIR, DumpReaderJob, dumps_volume
from shipform.model.engines import Engine
from shipform.model.workload import Workload
from shipform.values.quantity import Memory
from shipform.values.secret_ref import SecretRef


class Restored(Protocol):
    """A database as its restore script restores it (StatefulDB)."""

    @property
    def engine(self) -> Engine: ...

    def restore_command(self) -> str: ...


def restore_script(db: Restored) -> str:
    """POSIX sh run in the engine's image (and by the tests against real servers): restore $RESTORE_FILE (a file
    name in $BACKUP_DIR), or else the newest of the database's dumps (their names sort by time)."""
    return "\n".join([
        "set -eu",
        'if [ -n "${RESTORE_FILE:-}" ]; then DUMP="$BACKUP_DIR/$(basename "$RESTORE_FILE")"',
        f'else DUMP="$(ls -1 "$BACKUP_DIR"/"$BACKUP_PREFIX"-[0-9]*T[0-9]*Z.{db.engine.dump_suffix} 2>/dev/null '
        '| tail -n 1)"; fi',
        '[ -n "$DUMP" ] && [ -f "$DUMP" ] || { echo "no dump to restore in $BACKUP_DIR" >&2; exit 1; }',
        db.restore_command(),
        'echo "restored: $DUMP"',
    ])


class RestoreJob(DumpReaderJob):
    """The suspended CronJob a Backup adds next to its database (``db.restore``): ``kubectl create job
    --from=cronjob/<db>-restore <name>`` restores the newest dump into the database ``DB_NAME`` (set
    ``RESTORE_FILE`` or ``DB_NAME`` on the Job to choose). It logs in as the application's user; an engine restored
    offline (redis) writes the dump into the stopped database's volume instead."""

    component = "restore"
    on_demand = "restore"
    inject_connection_env = False  # the script reads the DB_* variables set below, the same for every engine
    reports_telemetry = False

    def __init__(self, db: Workload, backup: Backup, size: Memory, engine: Engine, script: str,
                 secrets: dict[str, SecretRef], connection: dict[str, str]):
        """``db`` hands the restore what it needs of it, as for :class:`~shipform.model.backup.BackupJob`:
        ``secrets`` and ``connection`` are the application's login (none for an offline restore)."""
        self.db = db
        self._engine = engine  # not `engine`: that would make it look like a database to a Queue
        self.target = backup.to
        self.size = size
        offline = engine.restore_offline
        env = {**({} if offline else connection), "BACKUP_DIR": RESTORE_DIR, "BACKUP_PREFIX": db.name}
        if offline:
            env["DATA_DIR"] = engine.data_path
        super().__init__(
            db.scope, f"{db.id}-restore", name=f"{db.name}-restore", schedule=backup.schedule, image=db.image,
            command=["sh", "-c", script], connects_to=[] if offline else [db], secrets={} if offline else secrets,
            env=env, resources=db.resource_props, backoff_limit=0,
        )
        # A restore through the server runs as a user of its own (it only reads the dumps, which any user may
        # read); one that writes the stopped server's files runs as their owner, the database's user.
        if offline:
            self.uid_of = db
        self.named_after = db

    def run_spec(self) -> spec.Scheduled:
        return replace(super().run_spec(), suspended=True)

    def volumes(self) -> tuple[spec.Volume, ...]:
        # With a bucket, the dump is fetched into the pod first.
        dumps = dumps_volume(self.db.name, self.target, self.size)
        if not self._engine.restore_offline:
            return (dumps,)
        # The StatefulSet's claim of its one pod: written while the database is scaled to zero.
        data = spec.SharedClaim(f"data-{self.db.name}-0", read_only=False)
        return (dumps, spec.Volume("data", self._engine.data_path, f"{self.db.name}-data", data))

