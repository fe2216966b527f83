"""Backup: a scheduled dump of a StatefulDB with the engine's own tool, kept on a volume with retention."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from typing import ClassVar, Literal, Protocol

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.cron_job import CronJob
from shipform.model.engines import Engine
from shipform.model.workload import Workload
from shipform.values import addresses, checks
from shipform.values.cron import validate_schedule
from shipform.values.prop_types import check_fields
from shipform.values.quantity import Memory
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

AWS_CLI_IMAGE = "amazon/aws-cli:2.22.12"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ENDPOINT = re.compile(r"https://[a-z0-9.-]+(:(?P<port>[0-9]+))?(/.*)?")
# A key id (UUID or mrk-...), an alias/..., or an ARN of either.
_KMS_KEY = re.compile(r"(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/|alias/))?[A-Za-z0-9/_:-]{1,250}"
                      r"|alias/[A-Za-z0-9/_-]+")


@value_object
@dataclass(frozen=True)
class S3Target:
    """Upload each dump to an S3-compatible bucket (AWS S3, MinIO, R2, ...) instead of keeping it on a volume.

    :param bucket: the bucket name (required).
    :param credentials: a SecretRef to a key holding an AWS shared credentials file (``[default]`` with
        ``aws_access_key_id`` and ``aws_secret_access_key``); mounted as a file, never an env var (required).
    :param endpoint: Default: None (AWS). The https URL of an S3-compatible service.
    :param prefix: Default: '<app>/<environment>'. Key prefix of the dumps.
    :param region: Default: 'us-east-1'.
    :param cidrs: Default: () (any public address: private, shared, link-local and loopback ranges are excluded,
        so the upload can reach neither the cluster's network nor the node's metadata service). The address
        ranges of the service, e.g. a VPC endpoint's or an on-premises MinIO's subnet: the only ones reached.
    :param encryption: Default: 'AES256' (SSE-S3). Server-side encryption of each dump: 'AES256' or 'aws:kms'.
    :param kms_key: Default: None (the bucket's AWS managed key). With 'aws:kms', the KMS key id or ARN.

    The upload only writes (``s3:PutObject`` on ``<bucket>/<prefix>/*``): give it keys that can do nothing else,
    and expire old dumps with a lifecycle rule on the prefix (see the README); ``Backup.retention`` counts the
    dumps kept on a volume.
    """

    bucket: str
    credentials: SecretRef
    endpoint: str | None = None
    prefix: str | None = None
    region: str = "us-east-1"
    cidrs: tuple[str, ...] = ()
    encryption: Literal["AES256", "aws:kms"] = "AES256"
    kms_key: str | None = None
    prop_example: ClassVar[str] = "S3Target('acme-backups', credentials=SecretRef('s3', 'credentials'))"

    def validate(self, path: str) -> None:
        check_fields(path, "backup.to", self)  # types first: below, every field has its declared type
        if not checks.matches(_BUCKET, self.bucket):
            raise ShipformError(path, "backup.to.bucket", "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')",
                                self.bucket, "use the bucket's name, e.g. 'acme-shop-backups'")
        self.credentials.validate(path, "backup.to.credentials")
        if self.endpoint is not None and not checks.matches(_ENDPOINT, self.endpoint):
            raise ShipformError(path, "backup.to.endpoint", "must be an https URL", self.endpoint,
                                "write e.g. 'https://minio.example.com'")
        if not checks.matches(r"[a-z0-9][a-z0-9-]{0,63}", self.region):
            raise ShipformError(path, "backup.to.region", "must be a region name (lowercase letters, digits and '-')",
                                self.region, "write e.g. 'eu-west-1' (R2: 'auto')")
        prefix = self.prefix
        if prefix is not None and (not prefix.isprintable() or not checks.matches(r"[^/\s](.*[^/\s])?", prefix)
                                   or "//" in prefix):
            raise ShipformError(path, "backup.to.prefix", "must be one line of key parts joined by single '/', without "
                                "'/' or spaces at its ends", prefix, "write e.g. 'shop/prod'")
        if self.endpoint is not None:
            checks.url_credentials(path, "backup.to.endpoint", self.endpoint, "keep credentials in the "
                                   "credentials= Secret, never in the URL")
        if self.kms_key is not None and (self.encryption != "aws:kms" or not checks.matches(_KMS_KEY, self.kms_key)):
            raise ShipformError(path, "backup.to.kms_key", "must be a KMS key id, alias or ARN, with encryption="
                                "'aws:kms'", self.kms_key, "write e.g. encryption='aws:kms', kms_key='alias/backups'")
        addresses.egress_ranges(path, "backup.to.cidrs", self.cidrs, "'10.20.30.0/24'", "name the storage service's "
                                "range")

    @property
    def port(self) -> int:
        found = checks.exact(_ENDPOINT, self.endpoint or "")
        return int(found["port"]) if found and found["port"] else 443


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
    :param storage_class: Default: None (the cluster's default StorageClass).
    :param to: Default: None (a PersistentVolumeClaim). An :class:`S3Target` uploads each dump to a bucket
        from an emptyDir instead (Kubernetes only: compose keeps dumps in its local volume).
    """

    schedule: str
    retention: int = 7
    size: str | None = None
    storage_class: str | None = None
    to: S3Target | None = None
    prop_example: ClassVar[str] = "Backup(schedule='0 3 * * *', retention=7)"

    def volume_size(self, path: str, storage: Memory) -> Memory:
        """The size of the backup volume, once the props are checked (``path`` names the database, ``storage``
        is its own volume's size)."""
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
        return size


def upload_script() -> str:
    """POSIX sh run in the AWS CLI image after the dump: upload the newest dump, encrypted at rest ($S3_SSE,
    with $S3_SSE_KMS_KEY_ID when set). It only ever writes (s3:PutObject), so its keys need no right to list
    or delete: the bucket's lifecycle rule expires old dumps (see the README)."""
    return "\n".join([
        "set -eu",
        'FILE="$(ls -1t "$BACKUP_DIR"/"$BACKUP_PREFIX"-* | head -n 1)"',
        'set -- ${S3_ENDPOINT:+--endpoint-url "$S3_ENDPOINT"}',
        'aws "$@" s3 cp --only-show-errors --sse "$S3_SSE" \\',
        '  ${S3_SSE_KMS_KEY_ID:+--sse-kms-key-id "$S3_SSE_KMS_KEY_ID"} \\',
        '  "$FILE" "s3://$S3_BUCKET/$S3_PREFIX/$(basename "$FILE")"',
        'echo "backup uploaded: s3://$S3_BUCKET/$S3_PREFIX/$(basename "$FILE")"',
    ])


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
                 secrets: dict[str, SecretRef], connection: dict[str, str]):
        """``db`` is the database, which hands the backup what the script needs of it: its ``engine``, the
        ``script`` (:func:`backup_script`), the ``secrets`` the dump logs in with and the ``connection`` variables
        (DB_HOST, DB_PORT, DB_USER, DB_NAME)."""
        self.db = db
        self._engine = engine  # not `engine`: that would make it look like a database to a Queue
        self.target = backup.to
        self.size = size
        self.storage_class = backup.storage_class
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
        env = {"S3_BUCKET": target.bucket, "S3_PREFIX": target.prefix or f"{self.app.name}/{self.environment.name}",
               "AWS_DEFAULT_REGION": target.region, "HOME": "/tmp",
               "AWS_SHARED_CREDENTIALS_FILE": f"/run/secrets/{target.credentials.file_name}",
               **{k: self.env[k] for k in ("BACKUP_DIR", "BACKUP_PREFIX")}}
        if target.endpoint:
            env["S3_ENDPOINT"] = target.endpoint
        env["S3_SSE"] = target.encryption
        if target.kms_key:
            env["S3_SSE_KMS_KEY_ID"] = target.kms_key
        return spec.Container("upload", AWS_CLI_IMAGE, ("sh", "-c", upload_script()),
                              tuple(spec.EnvVar(k, spec.Plain(v)) for k, v in env.items()), "dump",
                              (spec.SecretFile("AWS_SHARED_CREDENTIALS", target.credentials),))

    def referenced_secrets(self) -> set[str]:
        return super().referenced_secrets() | ({self.target.credentials.name} if self.target is not None else set())

    def egress_to_internet(self) -> tuple[spec.EgressToInternet, ...]:
        """The bucket's address is not known to the cluster: HTTPS to any address, and nothing else."""
        if self.target is None:
            return ()
        cidrs = tuple(str(ipaddress.ip_network(c)) for c in self.target.cidrs)  # '10.0.0.0/255.0.0.0' as '10.0.0.0/8'
        return (spec.EgressToInternet(self.target.port, cidrs),)

    def data_owner(self) -> tuple[int, int] | None:
        return self.db.data_owner()
