"""Backup: a scheduled dump of a StatefulDB with the engine's own tool, kept on a volume with retention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipform import props
from shipform.cron_job import CronJob, validate_schedule
from shipform.errors import ShipformError

if TYPE_CHECKING:
    from shipform.stateful_db import StatefulDB


@dataclass(frozen=True)
class Backup:
    """``StatefulDB(..., backup=Backup(schedule="0 3 * * *", retention=7))``.

    Kubernetes: a CronJob ``<db>-backup`` (same hardening as every workload, allowed to reach only the
    database) runs the engine's dump tool with the database's own image and writes
    ``<db>-<UTC time>.<ext>`` to the PersistentVolumeClaim ``<db>-backups``, keeping the newest
    ``retention`` dumps. compose: a one-shot ``<db>-backup`` service under the ``backup`` profile
    (``docker compose --profile backup run --rm db-backup``) writing to the named volume ``<db>-backups``.

    :param schedule: cron schedule (required), as for CronJob.
    :param retention: Default: 7. Dumps kept; older ones are deleted after each successful dump.
    :param size: Default: the database's storage size. Size of the backup volume.
    :param storage_class: Default: None (the cluster's default StorageClass).
    """

    schedule: str
    retention: int = 7
    size: str | None = None
    storage_class: str | None = None

    def attach(self, db: StatefulDB) -> BackupJob:
        try:
            validate_schedule(db.path, self.schedule)
        except ShipformError as err:
            raise ShipformError(db.path, "backup.schedule", err.problem, err.value, err.fix) from None
        if isinstance(self.retention, bool) or not isinstance(self.retention, int) or self.retention < 1:
            raise ShipformError(db.path, "backup.retention", "must be a whole number of dumps >= 1",
                                self.retention, "keep at least one dump, e.g. retention=7")
        if self.size is not None:
            props.memory_bytes(db.path, "backup.size", self.size)
        return BackupJob(db, self)


def backup_script(db: StatefulDB) -> str:
    """POSIX sh run in the engine's image (and by the tests against real servers): dump to a partial file,
    rename it when complete, then delete all but the newest $RETENTION dumps."""
    suffix = db.engine.dump_suffix
    return "\n".join([
        "set -eu",
        f'BACKUP_FILE="$BACKUP_DIR/$BACKUP_PREFIX-$(date -u +%Y%m%dT%H%M%SZ).{suffix}"',
        'FINAL="$BACKUP_FILE"',
        'BACKUP_FILE="$FINAL.partial"',
        'trap \'rm -f "$BACKUP_FILE"\' EXIT',
        db.engine.dump,
        'mv "$BACKUP_FILE" "$FINAL"',
        f'ls -1t "$BACKUP_DIR"/"$BACKUP_PREFIX"-*.{suffix} | tail -n +"$((RETENTION + 1))" | xargs -r rm -f --',
        'echo "backup written: $FINAL"',
    ])


class BackupJob(CronJob):
    """The CronJob a Backup adds next to its database (use ``db.backup`` to reach it)."""

    component = "backup"
    compose_profile = "backup"

    def __init__(self, db: StatefulDB, spec: Backup):
        self.db = db
        self.spec = spec
        super().__init__(
            db.node.scope, f"{db.name}-backup", schedule=spec.schedule, image=db.image,
            command=["sh", "-c", backup_script(db)], connects_to=[db], secrets={"DB_PASSWORD": db.password},
            env={"DB_HOST": db.name, "DB_PORT": str(db.port), "DB_USER": db.user, "DB_NAME": db.database,
                 # The backup volume is mounted where the image keeps its data folder: a fresh compose
                 # volume then takes that folder's owner, so the non-root dump can write to it.
                 "BACKUP_DIR": db.engine.data_path, "BACKUP_PREFIX": db.name, "RETENTION": str(spec.retention)},
            resources=db.resources, run_as_user=db.run_as_user, run_as_group=db.run_as_group,
            backoff_limit=1,
        )
        self.claim = self.add_object("v1", "PersistentVolumeClaim", self._claim, name=f"{db.name}-backups")

    inject_connection_env = False  # the script reads DB_* set above, the same for every engine

    def extra_volumes(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return ([{"name": "backups", "persistentVolumeClaim": {"claimName": f"{self.db.name}-backups"}}],
                [{"name": "backups", "mountPath": self.db.engine.data_path}])

    def compose_user(self) -> str:
        return self.db.compose_user()

    def compose_volumes(self) -> list[dict[str, str]]:
        return [{"type": "volume", "source": f"{self.db.name}-backups", "target": self.db.engine.data_path}]

    def _claim(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": self.spec.size or self.db.storage}}}
        if self.spec.storage_class:
            spec["storageClassName"] = self.spec.storage_class
        return {"metadata": self.metadata(f"{self.db.name}-backups"), "spec": spec}
