"""A highly available Postgres run by the CloudNativePG operator (the DatabaseCluster facet): what its Cluster and
ScheduledBackup say, and whom its NetworkPolicy admits besides its clients."""

from __future__ import annotations

from dataclasses import dataclass

from shipform.spec.facet import Facet
from shipform.spec.facets import Monitoring
from shipform.values.quantity import Memory
from shipform.values.secret_ref import SecretRef

CLUSTER_LABEL = "cnpg.io/cluster"
"""The label CloudNativePG puts on every pod of a Cluster (its instances and its initdb and join Jobs)."""
CLUSTER_API = "postgresql.cnpg.io/v1"
INSTANCE_PORT = 8000
"""The instance manager's HTTP port in each pod: the operator asks it for the instance's status."""
METRICS_PORT = 9187
"""The instance manager's metrics exporter port (its PodMonitor's 'metrics')."""
READ_WRITE_SUFFIX = "-rw"
"""CloudNativePG's Service that always points at the primary: ``<cluster>-rw``."""


@dataclass(frozen=True)
class ObjectStore:
    """Where barman keeps the cluster's base backups and WAL: an S3-compatible bucket and how to get in (two
    Secret keys, or the ServiceAccount's cloud role)."""

    destination: str
    """'s3://<bucket>/<prefix>'."""
    server_name: str
    """The folder under the destination that holds one cluster's backups."""
    endpoint: str | None = None
    encryption: str = "AES256"
    region: str = "us-east-1"
    access_key_id: SecretRef | None = None
    secret_access_key: SecretRef | None = None
    """Both set, or neither (then the pods' ServiceAccount carries a cloud role: ``role_annotations``)."""
    role_annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ClusterBackup:
    """barman's continuous backups: WAL archived as it is written, and a base backup on ``schedule`` (six fields,
    seconds first, as CloudNativePG's ScheduledBackup reads it), kept for ``retention`` ('30d')."""

    store: ObjectStore
    schedule: str
    retention: str


@dataclass(frozen=True)
class ClusterRecovery:
    """Bootstrap from another cluster's backups (``store``), up to ``target_time`` (RFC 3339) or the end of its WAL."""

    store: ObjectStore
    target_time: str | None = None


@dataclass(frozen=True)
class DatabaseCluster(Facet):
    """A Postgres of ``instances`` pods (one primary, streaming replicas) that CloudNativePG runs from a Cluster: the
    app's database and owner (``owner_secret`` holds 'username' and 'password'), its volumes, anti-affinity, the
    operator's PodDisruptionBudgets, TLS from ``tls_secret`` (or the operator's own CA), barman's backups and a
    recovery source. Its pods talk to the API server (``api_cidrs``:``api_port``) and are reached by the operator
    in ``operator_namespace`` (pods ``operator_pods``)."""

    instances: int
    image: str
    database: str
    owner: str
    owner_secret: str
    storage: Memory
    storage_class: str | None
    anti_affinity: str
    operator_namespace: str
    operator_pods: tuple[tuple[str, str], ...]
    api_cidrs: tuple[str, ...]
    api_port: int
    port: int
    tls_secret: str | None = None
    backup: ClusterBackup | None = None
    recovery: ClusterRecovery | None = None
    monitoring: Monitoring | None = None

    def secret_refs(self) -> tuple[SecretRef, ...]:
        """The owner's user name beside its password (CloudNativePG's basic-auth contract), and barman's keys."""
        stores = [s for s in (self.backup.store if self.backup else None,
                              self.recovery.store if self.recovery else None) if s is not None]
        keys = [k for s in stores for k in (s.access_key_id, s.secret_access_key) if k is not None]
        return (SecretRef(self.owner_secret, "username"), *dict.fromkeys(keys))

    def fixed_values(self) -> tuple[tuple[SecretRef, str], ...]:
        """'username' is the owner's name: CloudNativePG refuses the Secret when it holds any other ("wrong username
        '<x>' in secret, expected '<owner>'") and never sets the password."""
        return ((SecretRef(self.owner_secret, "username"), self.owner),)

    def reader(self) -> str:
        return "the CloudNativePG Cluster"
