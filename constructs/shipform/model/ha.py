"""Highly available Postgres: ``StatefulDB(engine="postgres", ha=Ha(...))`` is a CloudNativePG Cluster of streaming
replicas instead of a one-replica StatefulSet, with barman's backups in the database's bucket and point-in-time
recovery from them. Other engines stay single-replica: shipform supports no operator that replicates them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.backup import Backup
from shipform.model.log_shipper import ApiServer
from shipform.model.object_store import S3Target
from shipform.values import addresses, checks
from shipform.values.cron import validate_schedule
from shipform.values.prop_types import check_fields
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

IMAGE = "ghcr.io/cloudnative-pg/postgresql:{tag}"
"""CloudNativePG's own Postgres images: its instance manager needs their layout, and barman's in-tree backups need
barman-cloud, which the 'system' images carry."""
IMAGE_TAGS = {
    "15": "15.19-202608170814-system-bookworm"
          "@sha256:08eb167b35d7b67e4cf40385262a954c0412ec981ec55b9a5b3a8b9ec2f95053",
    "16": "16.15-202608170814-system-bookworm"
          "@sha256:1625a452268aa8cb5149ec5a7428484e0a0402b8319598ec3d74ec212d21dbf2",
    "17": "17.11-202608170816-system-bookworm"
          "@sha256:d24d5a390d90b20a43ef7036981f5e6c6f78bbd3198a1e2cd99443fbbd14a9b8",
}
"""Each supported major version's image, tag and digest as CloudNativePG's signed image catalog lists them
(cloudnative-pg/postgres-containers, Debian/ClusterImageCatalog-bookworm.yaml, images.cnpg.io/date 20260817):
the operator runs exactly the image the catalog vouches for, and a re-pushed tag changes nothing."""
OPERATOR_PODS = (("app.kubernetes.io/name", "cloudnative-pg"),)
"""The labels of the operator's pods, as its Helm chart and its release manifest both set them."""
AntiAffinity = Literal["required", "preferred"]
_RETENTION = re.compile(r"[1-9][0-9]*[dwm]")  # CloudNativePG's own pattern for retentionPolicy
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})")
"""RFC 3339 with its offset ('T' or a space): CloudNativePG's admission (machinery's ParseTargetTime: lib/pq's
timestamp, then Go's RFC 3339) refuses an offset without its colon ('+0100'); a time without one is read as UTC."""


@value_object
@dataclass(frozen=True)
class Recovery:
    """Point-in-time recovery: the new cluster starts from the base backup and WAL another cluster left in the
    database's bucket (``backup.to``), replayed up to ``target_time``.

    :param source: the ``server_name`` of the cluster whose backups are restored (required): the folder under the
        bucket's prefix; ``Ha(server_name=...)`` of the old cluster, by default its database's name.
    :param target_time: Default: None (replay every WAL archived: the latest state). An RFC 3339 time with its
        offset, e.g. '2026-03-01T09:30:00Z' or '2026-03-01T10:30:00+01:00' (an offset without its colon is refused,
        as CloudNativePG refuses it).
    """

    source: str
    target_time: str | None = None
    prop_example: ClassVar[str] = "Recovery(source='db', target_time='2026-03-01T09:30:00Z')"


@value_object
@dataclass(frozen=True)
class Ha:
    """``StatefulDB(engine="postgres", ..., ha=Ha(api_server=ApiServer(cidrs=["10.0.0.10/32"])))``: a CloudNativePG
    ``Cluster`` named like the database (one primary, streaming replicas) instead of the StatefulSet. Clients get
    ``<PREFIX>_HOST`` ``<name>-rw`` (the operator's Service that follows the primary); compose stays one server.

    :param api_server: the cluster's API server as a NetworkPolicy sees it (required): each instance's manager
        watches its Cluster there. ``ApiServer(cidrs=[...], port=6443)``.
    :param instances: Default: 3 (a primary and two streaming replicas). At least 2.
    :param anti_affinity: Default: None: 'required' outside a local Environment (no two instances on one node: a
        node lost takes one instance at most; an instance stays Pending while no other node is free), 'preferred' in
        a local one (a one-node cluster still runs every instance).
    :param operator_namespace: Default: 'cnpg-system'. Where the CloudNativePG operator runs: its pods are admitted
        to each instance's manager on port 8000.
    :param access_key_id: Default: None. With a Backup: the Secret key barman reads the bucket's access key id
        from; give it with ``secret_access_key``, or give the bucket ``identity=AwsRole(...)`` instead. The keys (or
        role) must write, read, list and delete under the prefix (barman expires old backups itself).
    :param secret_access_key: Default: None. The Secret key of the secret access key (with ``access_key_id``).
    :param retention: Default: '30d'. How long barman keeps base backups and WAL (days 'd', weeks 'w' or months
        'm'): any time in that window can be recovered. ``Backup.retention`` counts dumps and does not apply.
    :param server_name: Default: the database's name. The folder under the bucket's prefix its backups go to; a
        cluster recovered from another's backups needs a folder of its own.
    :param recovery: Default: None (a new, empty database). A :class:`Recovery` creates the cluster from backups.
    """

    api_server: ApiServer
    instances: int = 3
    anti_affinity: AntiAffinity | None = None
    operator_namespace: str = "cnpg-system"
    access_key_id: SecretRef | None = None
    secret_access_key: SecretRef | None = None
    retention: str = "30d"
    server_name: str | None = None
    recovery: Recovery | None = None
    prop_example: ClassVar[str] = "Ha(instances=3, api_server=ApiServer(cidrs=['10.0.0.10/32'], port=6443))"

    def validate(self, path: str, local: bool) -> AntiAffinity:
        """The props alone; returns the anti-affinity rule."""
        check_fields(path, "ha", self)
        if self.instances < 2:
            raise ShipformError(path, "ha.instances", "must be 2 or more: one instance has no replica to fail over "
                                "to", self.instances, "write instances=3 (a primary and two streaming replicas), or "
                                "drop ha for a single server")
        checks.positive_int(path, "ha.instances", self.instances, maximum=99)
        rule = self.anti_affinity or ("preferred" if local else "required")
        checks.one_of(path, "ha.anti_affinity", rule, ("required", "preferred"))
        checks.dns_label(path, "ha.operator_namespace", self.operator_namespace)
        if not checks.matches(_RETENTION, self.retention):
            raise ShipformError(path, "ha.retention", "must be a number of days, weeks or months ('30d', '4w', '3m')",
                                self.retention, "write e.g. retention='30d'")
        if self.server_name is not None:
            checks.dns_label(path, "ha.server_name", self.server_name)
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ShipformError(path, "ha.access_key_id", "is given without secret_access_key or the other way round",
                                self.access_key_id or self.secret_access_key, "give both Secret keys, e.g. "
                                "access_key_id=SecretRef('pg-s3', 'ACCESS_KEY_ID'), secret_access_key=SecretRef("
                                "'pg-s3', 'ACCESS_SECRET_KEY'), or neither (the bucket's identity=)")
        for prop in ("access_key_id", "secret_access_key"):
            key = getattr(self, prop)
            if key is not None:
                key.validate(path, f"ha.{prop}")
        return rule

    def api(self, path: str) -> tuple[tuple[str, ...], int]:
        """The API server's ranges and port."""
        cidrs = addresses.egress_ranges(path, "ha.api_server.cidrs", self.api_server.cidrs, "'10.0.0.10/32'",
                                        "name the addresses of the API server's endpoints")
        if not cidrs:
            raise ShipformError(path, "ha.api_server.cidrs", "must name the API server's addresses", [],
                                "write e.g. ApiServer(cidrs=['10.0.0.10/32'], port=6443)")
        return cidrs, checks.port(path, "ha.api_server.port", self.api_server.port)

    def backup(self, path: str, backup: Backup | None, name: str, prefix: str) -> tuple[
            spec.ClusterBackup | None, spec.ClusterRecovery | None]:
        """barman's backups of the cluster into the database's bucket (``prefix``: the default key prefix), and the
        recovery source in the same bucket."""
        if backup is None:
            if self.recovery is not None:
                raise ShipformError(path, "ha.recovery", "needs the bucket the backups are in", self.recovery,
                                    "give the database backup=Backup(schedule=..., to=S3Target('<bucket>'))")
            return None, None
        check_fields(path, "backup", backup)
        schedule = validate_schedule(path, "backup.schedule", backup.schedule)
        to = backup.to
        if to is None:
            raise ShipformError(path, "backup.to", "is None: barman keeps an HA Postgres' backups in object storage",
                                None, "give to=S3Target('<bucket>') (the keys or role in ha= or identity=)")
        if backup.drill is not None:
            raise ShipformError(path, "backup.drill", "restores dumps, and an HA Postgres' backups are barman's base "
                                "backups and WAL", backup.drill, "drop drill; rehearse a recovery with "
                                "ha=Ha(recovery=Recovery(...)) in another Environment (docs/guide/ha-postgres.md)")
        to.validate(path, dumps=False)
        self._access(path, to.credentials, to.kms_key, to.identity is not None)
        store = self._store(path, to.bucket, to.prefix or prefix, to, self.server_name or name)
        # robfig/cron with seconds, as the ScheduledBackup reads it: the same minute, at second 0.
        cluster_backup = spec.ClusterBackup(store, schedule if schedule.startswith("@") else f"0 {schedule}",
                                            self.retention)
        return cluster_backup, self._recovery(path, store)

    def _access(self, path: str, credentials: SecretRef | None, kms_key: str | None, identity: bool) -> None:
        if credentials is not None:
            raise ShipformError(path, "backup.to.credentials", "is a shared credentials file, and barman reads two "
                                "Secret keys", credentials, "drop it and give ha=Ha(access_key_id=SecretRef('pg-s3', "
                                "'ACCESS_KEY_ID'), secret_access_key=SecretRef('pg-s3', 'ACCESS_SECRET_KEY'))")
        if kms_key is not None:
            raise ShipformError(path, "backup.to.kms_key", "cannot be named in CloudNativePG's barmanObjectStore",
                                kms_key, "make the key the bucket's default encryption key and drop kms_key "
                                "(encryption='aws:kms' stays)")
        if identity == (self.access_key_id is not None):
            raise ShipformError(path, "ha.access_key_id", "and the bucket's identity are both given or both None: "
                                "barman needs keys or a workload identity, exactly one", self.access_key_id,
                                "give ha=Ha(access_key_id=..., secret_access_key=...) or S3Target(identity=AwsRole("
                                "...)), allowed to write, read, list and delete under the prefix")

    def _store(self, path: str, bucket: str, prefix: str, to: S3Target, server: str) -> spec.ObjectStore:
        role = to.identity.to_spec(path, "backup.to.identity").service_account_annotations if to.identity else ()
        return spec.ObjectStore(f"s3://{bucket}/{prefix}", server, to.endpoint, to.encryption, to.region,
                                self.access_key_id, self.secret_access_key, role)

    def _recovery(self, path: str, store: spec.ObjectStore) -> spec.ClusterRecovery | None:
        recovery = self.recovery
        if recovery is None:
            return None
        check_fields(path, "ha.recovery", recovery)
        checks.dns_label(path, "ha.recovery.source", recovery.source)
        if recovery.source == store.server_name:
            raise ShipformError(path, "ha.recovery.source", "is the folder this cluster's own backups go to (barman "
                                "refuses to archive into a folder that holds another cluster's WAL)", recovery.source,
                                f"give the new cluster a folder of its own, e.g. server_name='{store.server_name}-2'")
        if recovery.target_time is not None and not checks.matches(_TIME, recovery.target_time):
            raise ShipformError(path, "ha.recovery.target_time", "must be an RFC 3339 time with its offset as 'Z' "
                                "or '+hh:mm' (CloudNativePG refuses '+hhmm')",
                                recovery.target_time, "write e.g. '2026-03-01T09:30:00Z' or "
                                "'2026-03-01T10:30:00+01:00'")
        source = spec.ObjectStore(store.destination, recovery.source, store.endpoint, store.encryption, store.region,
                                  store.access_key_id, store.secret_access_key, store.role_annotations)
        return spec.ClusterRecovery(source, recovery.target_time)


def refuse_other_engines(path: str, engine: str) -> None:
    """Only Postgres has an operator shipform supports."""
    if engine != "postgres":
        raise ShipformError(path, "ha", f"is offered for postgres only: shipform supports no operator that "
                            f"replicates {engine}, so it stays one replica (a StatefulSet that comes back on its "
                            "volume)", engine, "drop ha (and back it up with backup=Backup(...)), or use a managed "
                            f"{engine} as External(..., engine=...)")
