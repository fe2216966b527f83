"""Where backups go off the cluster: an S3-compatible bucket, written by an upload that may only write and read
back by the restore, each with its own credential (keys in a Secret, or the cloud's workload identity)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.identity import AwsRole
from shipform.values import addresses, checks
from shipform.values.prop_types import check_fields
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
    :param credentials: Default: None. A SecretRef to a key holding an AWS shared credentials file (``[default]``
        with ``aws_access_key_id`` and ``aws_secret_access_key``), mounted as a file, never an env var. Give it or
        ``identity``.
    :param endpoint: Default: None (AWS). The https URL of an S3-compatible service.
    :param prefix: Default: '<app>/<environment>'. Key prefix of the dumps.
    :param region: Default: 'us-east-1'.
    :param cidrs: Default: () (any public address: private, shared, link-local and loopback ranges are excluded,
        so the upload can reach neither the cluster's network nor the node's metadata service). The address
        ranges of the service, e.g. a VPC endpoint's or an on-premises MinIO's subnet: the only ones reached.
    :param encryption: Default: 'AES256' (SSE-S3). Server-side encryption of each dump: 'AES256' or 'aws:kms'.
    :param kms_key: Default: None (the bucket's AWS managed key). With 'aws:kms', the KMS key id or ARN.
    :param identity: Default: None. An :class:`AwsRole` the upload assumes through its ServiceAccount (EKS IAM
        Roles for Service Accounts) instead of keys: nothing long-lived to leak.
    :param restore_credentials: Default: None. Like ``credentials``, for the restore Job: keys that may read
        (``s3:GetObject`` and ``s3:ListBucket`` on the prefix). Give it or ``restore_identity``.
    :param restore_identity: Default: None. An :class:`AwsRole` for the restore Job, allowed to read.

    The upload only writes (``s3:PutObject`` on ``<bucket>/<prefix>/*``): give it keys that can do nothing else,
    and expire old dumps with a lifecycle rule on the prefix (guide: Backups); ``Backup.retention`` counts the
    dumps kept on a volume.
    """

    bucket: str
    credentials: SecretRef | None = None
    endpoint: str | None = None
    prefix: str | None = None
    region: str = "us-east-1"
    cidrs: tuple[str, ...] = ()
    encryption: Literal["AES256", "aws:kms"] = "AES256"
    kms_key: str | None = None
    identity: AwsRole | None = None
    restore_credentials: SecretRef | None = None
    restore_identity: AwsRole | None = None
    prop_example: ClassVar[str] = ("S3Target('acme-backups', credentials=SecretRef('s3', 'credentials'), "
                                   "restore_credentials=SecretRef('s3-read', 'credentials'))")

    def validate(self, path: str, dumps: bool = True) -> None:
        """``dumps``: the upload and the restore reach it (each with its access); an HA Postgres' barman brings its
        own (StatefulDB(ha=...))."""
        check_fields(path, "backup.to", self)  # types first: below, every field has its declared type
        if not checks.matches(_BUCKET, self.bucket):
            raise ShipformError(path, "backup.to.bucket", "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')",
                                self.bucket, "use the bucket's name, e.g. 'acme-shop-backups'")
        if dumps:
            self._access(path, "", "write", "s3:PutObject")
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
        if dumps:
            self._access(path, "restore_", "read", "s3:GetObject and s3:ListBucket")

    def _access(self, path: str, which: str, verb: str, actions: str) -> None:
        """Exactly one of ``<which>credentials`` and ``<which>identity``: keys in a Secret, or a workload identity."""
        keys, identity = getattr(self, f"{which}credentials"), getattr(self, f"{which}identity")
        if (keys is None) == (identity is None):
            job = "restore Job" if which else "upload"
            problem = f"is given with {which}identity too" if keys is not None else f"is None and so is {which}identity"
            raise ShipformError(path, f"backup.to.{which}credentials", f"{problem}: the {job} needs keys or a workload "
                                "identity, exactly one", keys, f"give {which}identity=AwsRole('arn:aws:iam::<account>:"
                                f"role/<role>') or {which}credentials=SecretRef('<secret>', 'credentials'), allowed to "
                                f"{verb} ({actions} on the prefix)")
        if keys is not None:
            keys.validate(path, f"backup.to.{which}credentials")
        else:
            identity.to_spec(path, f"backup.to.{which}identity")

    @property
    def port(self) -> int:
        found = checks.exact(_ENDPOINT, self.endpoint or "")
        return int(found["port"]) if found and found["port"] else 443

    def egress(self) -> spec.EgressToInternet:
        """The bucket's address is not known to the cluster: HTTPS (its port) to any address of ``cidrs``."""
        cidrs = tuple(str(ipaddress.ip_network(c)) for c in self.cidrs)  # '10.0.0.0/255.0.0.0' as '10.0.0.0/8'
        where = f" at {self.endpoint}" if self.endpoint else ""
        return spec.EgressToInternet(self.port, cidrs, f"s3://{self.bucket}{where}")

    def reach(self, path: str, restore: bool, skip_containers: tuple[str, ...]) -> S3Access:
        """How the upload (or the restore Job's fetch) reaches the bucket: the file its keys are mounted as, or the
        workload identity its ServiceAccount carries."""
        which = "restore_" if restore else ""
        keys: SecretRef | None = getattr(self, f"{which}credentials")
        identity: AwsRole | None = getattr(self, f"{which}identity")
        if keys is not None:
            return S3Access(keys, None)
        assert identity is not None
        return S3Access(None, identity.to_spec(path, f"backup.to.{which}identity", skip_containers))

    def env(self, prefix: str) -> dict[str, str]:
        """The bucket, the prefix and the endpoint, as the scripts read them."""
        env = {"S3_BUCKET": self.bucket, "S3_PREFIX": self.prefix or prefix, "AWS_DEFAULT_REGION": self.region,
               "HOME": "/tmp"}
        if self.endpoint:
            env["S3_ENDPOINT"] = self.endpoint
        return env


@dataclass(frozen=True)
class S3Access:
    """Keys mounted as a shared credentials file, or a workload identity (exactly one)."""

    keys: SecretRef | None
    identity: spec.CloudIdentity | None

    def env(self) -> dict[str, str]:
        return {"AWS_SHARED_CREDENTIALS_FILE": f"/run/secrets/{self.keys.file_name}"} if self.keys else {}

    def secret_files(self) -> tuple[spec.SecretFile, ...]:
        return (spec.SecretFile("AWS_SHARED_CREDENTIALS", self.keys),) if self.keys else ()


def upload_script() -> str:
    """POSIX sh run in the AWS CLI image after the dump: upload the newest dump, encrypted at rest ($S3_SSE,
    with $S3_SSE_KMS_KEY_ID when set). It only ever writes (s3:PutObject), so its keys need no right to list
    or delete: the bucket's lifecycle rule expires old dumps (guide: Backups)."""
    return "\n".join([
        "set -eu",
        'FILE="$(ls -1t "$BACKUP_DIR"/"$BACKUP_PREFIX"-* | head -n 1)"',
        'set -- ${S3_ENDPOINT:+--endpoint-url "$S3_ENDPOINT"}',
        'aws "$@" s3 cp --only-show-errors --sse "$S3_SSE" \\',
        '  ${S3_SSE_KMS_KEY_ID:+--sse-kms-key-id "$S3_SSE_KMS_KEY_ID"} \\',
        '  "$FILE" "s3://$S3_BUCKET/$S3_PREFIX/$(basename "$FILE")"',
        'echo "backup uploaded: s3://$S3_BUCKET/$S3_PREFIX/$(basename "$FILE")"',
    ])


def fetch_script() -> str:
    """POSIX sh run in the AWS CLI image before a restore: copy the dump $RESTORE_FILE (a file name under the
    prefix), or else the newest of the database's own dumps ('<name>-<UTC time>.', which sort by time), into
    $BACKUP_DIR. Reading needs s3:GetObject, and s3:ListBucket to find the newest."""
    return "\n".join([
        "set -eu",
        'set -- ${S3_ENDPOINT:+--endpoint-url "$S3_ENDPOINT"}',
        'KEY="${RESTORE_FILE:-}"',
        'if [ -z "$KEY" ]; then',
        '  KEY="$(aws "$@" s3 ls "s3://$S3_BUCKET/$S3_PREFIX/$BACKUP_PREFIX-" | awk \'{print $4}\' \\',
        '    | grep -E "^$BACKUP_PREFIX-[0-9]{8}T[0-9]{6}Z[.]" | sort | tail -n 1)"',
        "fi",
        '[ -n "$KEY" ] || { echo "no dump of $BACKUP_PREFIX under s3://$S3_BUCKET/$S3_PREFIX/" >&2; exit 1; }',
        'KEY="$(basename "$KEY")"',
        'aws "$@" s3 cp --only-show-errors "s3://$S3_BUCKET/$S3_PREFIX/$KEY" "$BACKUP_DIR/$KEY"',
        'echo "dump fetched: s3://$S3_BUCKET/$S3_PREFIX/$KEY"',
    ])
