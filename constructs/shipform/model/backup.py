"""Backup: a scheduled dump of a StatefulDB with the engine's own tool, kept in a bucket off the cluster (or, where
an Environment is local or says why, on a volume with retention)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.cron_job import CronJob
from shipform.model.drill import Drill
from shipform.model.engines import Engine
from shipform.model.object_store import AWS_CLI_IMAGE, S3Target, upload_script
from shipform.model.workload import Workload
from shipform.values import checks
from shipform.values.cron import validate_schedule
from shipform.values.prop_types import check_fields
from shipform.values.quantity import Memory
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

__all__ = ["AWS_CLI_IMAGE", "Backup", "BackupJob", "S3Target", "backup_script", "upload_script"]


@value_object
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
    :param storage_class: Default: None (the database's own class).
    :param to: Default: None (a PersistentVolumeClaim). An :class:`S3Target` uploads each dump to a bucket
        from an emptyDir instead (Kubernetes only: compose keeps dumps in its local volume). Required outside a
        local Environment unless ``in_cluster`` says why the dumps may stay in the database's cluster.
    :param in_cluster: Default: None. Outside a local Environment, why the dumps may stay on a claim in the
        cluster they back up (e.g. 'Velero copies the claim to another region nightly'), one line.
    :param drill: Default: None. A :class:`~shipform.model.drill.Drill` restores the newest dump into a scratch
        server on its own schedule and checks it (``db.drill``, a CronJob ``<db>-drill``).
    """

    schedule: str
    retention: int = 7
    size: str | None = None
    storage_class: str | None = None
    to: S3Target | None = None
    in_cluster: str | None = None
    drill: Drill | None = None
    prop_example: ClassVar[str] = "Backup(schedule='0 3 * * *', retention=7)"

    def volume_size(self, path: str, storage: Memory, local: bool = True) -> Memory:
        """The size of the backup volume, once the props are checked (``path`` names the database, ``storage``
        is its own volume's size, ``local`` whether its Environment is)."""
        check_fields(path, "backup", self)  # types first: below, every field has its declared type
        validate_schedule(path, "backup.schedule", self.schedule)
        if self.retention < 1:
            raise ShipformError(path, "backup.retention", "must be a whole number of dumps >= 1",
                                self.retention, "keep at least one dump, e.g. retention=7")
        size = storage if self.size is None else Memory.parse(path, "backup.size", self.size)
        if self.storage_class is not None:
            checks.subdomain_name(path, "backup.storage_class", self.storage_class, "fast-ssd")
        if self.to is not None:
            self.to.validate(path)
        self._off_cluster(path, local)
        return size

    def _off_cluster(self, path: str, local: bool) -> None:
        """A cluster lost (deleted, its storage gone, its account taken) takes the dumps it keeps along."""
        reason = self.in_cluster
        if reason is not None and (self.to is not None or not reason.strip() or not reason.isprintable()):
            raise ShipformError(path, "backup.in_cluster", "must be one line saying why the dumps stay on a claim "
                                "(and only without to=)", reason, "write e.g. in_cluster='Velero copies the claim "
                                "to another region nightly', or drop it")
        if self.to is None and reason is None and not local:
            raise ShipformError(path, "backup.to", "is None outside a local Environment: the dumps would stay in the "
                                "cluster they back up", None, "upload them to a bucket, to=S3Target('<bucket>', "
                                "identity=AwsRole(...), restore_identity=AwsRole(...)) (or credentials=SecretRef(...)"
                                "), or say why they may stay: in_cluster='<reason>'")


class Dumped(Protocol):
    """A database as its backup script dumps it (StatefulDB)."""

    @property
    def engine(self) -> Engine: ...

    def dump_command(self) -> str: ...


def backup_script(db: Dumped) -> str:
    """POSIX sh run in the engine's image (and by the tests against real servers): dump to a partial file,
    rename it when complete, then delete all but the newest $RETENTION dumps."""
    suffix = db.engine.dump_suffix
    return "\n".join([
        "set -eu",
        f'BACKUP_FILE="$BACKUP_DIR/$BACKUP_PREFIX-$(date -u +%Y%m%dT%H%M%SZ).{suffix}"',
        'FINAL="$BACKUP_FILE"',
        'BACKUP_FILE="$FINAL.partial"',
        'trap \'rm -f "$BACKUP_FILE"\' EXIT',
        db.dump_command(),
        'mv "$BACKUP_FILE" "$FINAL"',
        f'ls -1t "$BACKUP_DIR"/"$BACKUP_PREFIX"-[0-9]*T[0-9]*Z.{suffix} | tail -n +"$((RETENTION + 1))" '
        '| xargs -r rm -f --',
        'echo "backup written: $FINAL"',
    ])


class BackupJob(CronJob):
    """The CronJob a Backup adds next to its database (use ``db.backup`` to reach it)."""

    component = "backup"
    on_demand = "backup"
    inject_connection_env = False  # the script reads the DB_* variables set below, the same for every engine
    reports_telemetry = False

    def __init__(self, db: Workload, backup: Backup, size: Memory, engine: Engine, script: str,
                 secrets: dict[str, SecretRef], connection: dict[str, str], storage_class: str | None):
        """``db`` is the database, which hands the backup what the script needs of it: its ``engine``, the
        ``script`` (:func:`backup_script`), the ``secrets`` the dump logs in with, the ``connection`` variables
        (DB_HOST, DB_PORT, DB_USER, DB_NAME) and the ``storage_class`` of its own volume."""
        self.db = db
        self._engine = engine  # not `engine`: that would make it look like a database to a Queue
        self.target = backup.to
        self.size = size
        self.storage_class = backup.storage_class or storage_class
        super().__init__(
            db.scope, f"{db.id}-backup", name=f"{db.name}-backup", schedule=backup.schedule, image=db.image,
            command=["sh", "-c", script], connects_to=[db], secrets=secrets,
            env={**connection,
                 # The backup volume is mounted where the image keeps its data folder: a fresh compose
                 # volume then takes that folder's owner, so the non-root dump can write to it.
                 "BACKUP_DIR": engine.data_path, "BACKUP_PREFIX": db.name, "RETENTION": str(backup.retention)},
            resources=db.resource_props, backoff_limit=1,
        )
        self.named_after = db  # a name too long for the CronJob is the database's id or name
        self.claim = self.handle(f"claim:{db.name}-backups")

    def volumes(self) -> tuple[spec.Volume, ...]:
        source: spec.Claim | spec.Scratch
        if self.target is not None:  # the dump only waits in the pod for its upload
            source = spec.Scratch(self.size)
        else:
            source = spec.Claim(f"{self.db.name}-backups", self.size, self.storage_class)
        return (spec.Volume("backups", self._engine.data_path, f"{self.db.name}-backups", source),)

    def job_spec(self) -> spec.ToCompletion:
        job = super().job_spec()
        if self.target is None:
            return job
        return replace(job, after=self._upload())

    def _upload(self) -> spec.Container:
        target = self.target
        assert target is not None
        access = target.reach(self.path, restore=False, skip_containers=("dump",))
        env = {**target.env(f"{self.app.name}/{self.environment.name}"), **access.env(),
               **{k: self.env[k] for k in ("BACKUP_DIR", "BACKUP_PREFIX")}, "S3_SSE": target.encryption}
        if target.kms_key:
            env["S3_SSE_KMS_KEY_ID"] = target.kms_key
        return spec.Container("upload", AWS_CLI_IMAGE, ("sh", "-c", upload_script()),
                              tuple(spec.EnvVar(k, spec.Plain(v)) for k, v in env.items()), "dump",
                              access.secret_files())

    def run_facets(self) -> tuple[spec.Facet, ...]:
        """The upload's workload identity, where it has one."""
        if self.target is None:
            return ()
        identity = self.target.reach(self.path, restore=False, skip_containers=("dump",)).identity
        return (identity,) if identity is not None else ()

    def referenced_secrets(self) -> set[str]:
        keys = self.target.credentials if self.target is not None else None
        return super().referenced_secrets() | ({keys.name} if keys is not None else set())

    def egress_to_internet(self) -> tuple[spec.EgressToInternet, ...]:
        """The bucket, over HTTPS, and nothing else."""
        return (self.target.egress(),) if self.target is not None else ()

    def data_owner(self) -> tuple[int, int] | None:
        return self.db.data_owner()
