"""StatefulDB: Postgres, MySQL, MariaDB, Redis or MongoDB as a StatefulSet with its volume, wired to
its clients, with the password only ever a reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Required, TypedDict, Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.backup import Backup, BackupJob, backup_script
from shipform.model.base import child_path, path_name
from shipform.model.data_storage import RECLAIM_POLICIES, ReclaimPolicy, database_class
from shipform.model.database_tls import Decision, decide, dns_names
from shipform.model.db_client import DatabaseClient, password_env
from shipform.model.drill import Drill, DrillJob
from shipform.model.engines import ENGINES, Engine, EngineName, fill, start_command
from shipform.model.ha import IMAGE, IMAGE_TAGS, OPERATOR_PODS, Ha, refuse_other_engines
from shipform.model.placement import refuse_capacity
from shipform.model.restore import RestoreJob, restore_script
from shipform.model.workload import Workload, WorkloadProps
from shipform.values import checks
from shipform.values.health import Health
from shipform.values.prop_types import check_props
from shipform.values.quantity import Memory
from shipform.values.resources import Resources
from shipform.values.secret_ref import SecretRef
from shipform.values.volume import AccessMode


class StatefulDBProps(TypedDict, total=False):
    engine: Required[EngineName]
    """'postgres', 'mysql', 'mariadb', 'redis' or 'mongodb' (required)."""
    version: Required[str]
    """A supported major version, e.g. '16' for postgres (required); pinned to an exact tag."""
    storage: str
    """Default: '10Gi'. Size of the data volume."""
    name: str
    """Default: the id, or inside a composite construct its path below the namespace (``orders-db``, cut to fit
    with a hash when long). The name of its objects, Secret, compose service and env var prefix."""
    tls: str | None
    """Default: None: in an Environment that is not local and outside a mesh, TLS with a certificate cert-manager
    issues into ``<name>-tls`` (``Environment(tls_issuer=...)``); elsewhere plain TCP on the database's own network.
    postgres, mysql, redis and mariadb: the name of a Secret with ``tls.crt``, ``tls.key`` and ``ca.crt`` that you
    provide (its DNS names must include ``<name>``, ``<name>.<namespace>``, ``<name>.<namespace>.svc`` and, for
    compose, the compose service name), in any Environment: the server then takes TLS connections only, and its
    clients and backups verify it with ca.crt (``<PREFIX>_CA_FILE``; in the URL as the driver's CA setting and
    name check). compose gets a certificate of its own."""
    storage_class: str | None
    """Default: None: the Environment's ``data_storage`` class, which retains released volumes; in a local
    Environment, or with ``reclaim_policy='Delete'``, the cluster's default StorageClass. A class named here must
    have ``reclaimPolicy: Retain`` (shipform cannot read the cluster's classes)."""
    reclaim_policy: ReclaimPolicy
    """Default: 'Retain': outside a local Environment the volume's data outlives its claim (see ``storage_class``).
    'Delete' lets the cluster's default StorageClass delete it with the claim."""
    access_mode: AccessMode
    """Default: 'ReadWriteOnce'."""
    database: str | None
    """Default: the app's name. Ignored by redis."""
    user: str | None
    """Default: the app's name. For redis, the ACL user the application connects as (the default user is off)."""
    password: SecretRef | None
    """Default: ``SecretRef('<id>-credentials', 'password')``. mysql and mariadb also read the key
    'root-password' of the same Secret; postgres, mariadb and redis the key 'backup-password', their backup user's
    (the dumps, and redis' health check, log in as that user, never as the application's). Where a Worker scales by
    a redis list (``scale_on=Queue(on=db)``), KEDA logs in as the user 'keda' with the key 'password' of the Secret
    '<name>-keda-credentials', in the database's namespace and the Worker's."""
    env_prefix: str | None
    """Default: the id in upper case ('DB' for 'db'). Clients get ``<PREFIX>_HOST``, ``_PORT``, ``_NAME``,
    ``_USER``, ``_PASSWORD_FILE`` and ``_URL``."""
    password_env: str | None
    """Default: None: clients read the password from ``<PREFIX>_PASSWORD_FILE`` and get ``<PREFIX>_URL`` without
    it. A reason (e.g. "the ORM reads only DATABASE_URL") gives Kubernetes clients ``<PREFIX>_PASSWORD`` from a
    secretKeyRef and ``<PREFIX>_URL`` with ``$(<PREFIX>_PASSWORD)`` in it; scanners flag secrets in env vars
    (checkov CKV_K8S_35), so the reason is written where they read accepted risks."""
    backup: Backup | None
    """Default: None. A :class:`Backup` adds a scheduled dump, and a suspended CronJob that restores one; with
    ``Backup(drill=Drill(...))`` a CronJob that restores the newest into a scratch server and checks it."""
    resources: Resources | None
    """Default: 250m/512Mi requested, 1 CPU/1Gi limit."""
    digest: str | None
    """Default: None. 'sha256:...' pins the engine image by digest as well as by its exact tag."""
    termination_grace_period_seconds: int
    """Default: 60. Time the engine gets to shut down cleanly."""
    ha: Ha | None
    """Default: None (one replica). postgres only: an :class:`Ha` makes it a CloudNativePG Cluster of streaming
    replicas (``db.cluster``), clients reach ``<name>-rw``, a Backup becomes barman's (base backups and WAL, a
    ScheduledBackup); compose stays one server. See docs/guide/ha-postgres.md."""


class StatefulDB(Workload):
    """A database: StatefulSet with a volumeClaimTemplate, a headless Service for its pods, a ClusterIP
    Service for clients, ServiceAccount and NetworkPolicy (only clients that declared ``connects_to`` it, on
    its port only); in compose the engine with a named volume.

    One replica (there is no replication, so no pretend high availability), and so no PodDisruptionBudget:
    one that allowed the eviction would protect nothing, one that refused it would block every node drain.
    A drained node's database comes back on its volume. A postgres with ``ha=Ha(...)`` is a CloudNativePG Cluster
    of streaming replicas instead (model.ha). Props: :class:`StatefulDBProps`.
    """

    component = "database"
    reports_telemetry = False
    name_limit = 44  # its restore CronJob '<name>-restore' must stay within a CronJob's 52 characters
    user: str
    database: str
    cluster_spec: spec.DatabaseCluster | None = None

    def __init__(self, scope: Construct, id: str, **props: Unpack[StatefulDBProps]):
        path = child_path(scope, id)
        refuse_capacity(path, props)
        check_props(path, props, StatefulDBProps)
        self.engine = _engine(path, props["engine"])
        self.version = _version(path, self.engine, props["version"])
        self.ha = props.get("ha")
        if self.ha is not None:
            refuse_other_engines(path, self.engine.name)
        name = props.get("name") or path_name(scope, id, self.name_limit)
        self.password = props.get("password") or SecretRef(f"{name}-credentials", "password")
        secrets = {"DB_PASSWORD": self.password}
        if self.engine.root_password:
            secrets["DB_ROOT_PASSWORD"] = SecretRef(self.password.name, "root-password")
        self.dump_password = SecretRef(self.password.name, "backup-password") if self.engine.backup_password \
            else self.password
        """What the health check and the backup's dump log in with."""
        if self.engine.backup_password:
            secrets["DB_BACKUP_PASSWORD"] = self.dump_password
        self.queue_reader_password = SecretRef(f"{name}-keda-credentials", "password")
        """The password of the user KEDA reads queues' lengths as (engine.queue_reader), where a Worker scales by
        one of this database's queues."""
        explicit_tls = _tls(path, self.engine, props.get("tls"))
        image = self.engine.image.format(tag=self.engine.versions[self.version])
        digest = checks.digest(path, "digest", props.get("digest"))
        if digest:
            image = f"{image}@{digest}"
        workload: WorkloadProps = {
            "image": image, "secrets": secrets,
            "resources": props.get("resources") or Resources("250m", "512Mi", "1", "1Gi"),
            "writable_paths": self.engine.writable_paths,
            "termination_grace_period_seconds": props.get("termination_grace_period_seconds", 60)}
        if "name" in props:  # else the same path name, and errors about it name the id
            workload["name"] = props["name"]
        super().__init__(scope, id, workload)
        self.storage = Memory.parse(self.path, "storage", props.get("storage", "10Gi"))
        storage_class = props.get("storage_class")
        if storage_class is not None:
            checks.subdomain_name(self.path, "storage_class", storage_class, "fast-ssd")
        self.reclaim_policy = checks.one_of(self.path, "reclaim_policy", props.get("reclaim_policy", "Retain"),
                                            RECLAIM_POLICIES)
        self.storage_class = database_class(self.path, "storage_class", storage_class, self.reclaim_policy,
                                            self.environment.local, self.environment.data_storage)
        """Where the volume is provisioned (None: the cluster's default class)."""
        self.access_mode: AccessMode = props.get("access_mode", "ReadWriteOnce")
        self.database = checks.sql_name(self.path, "database", props.get("database") or self.app.name)
        self.user = checks.sql_name(self.path, "user", props.get("user") or self.app.name, max_len=32)
        if self.user in self.engine.reserved_users:
            raise ShipformError(self.path, "user", f"is a user {self.engine.name} keeps for itself", self.user,
                                "give the application a user of its own, e.g. user='app'")
        self.env_prefix = checks.env_name(self.path, "env_prefix",
                                          props.get("env_prefix") or self.name.upper().replace("-", "_"))
        self.password_env = password_env(self.path, props.get("password_env"))
        # After its volume's props: asking whether its namespace is in the mesh reads the namespace's quota.
        decision = Decision() if explicit_tls is not None else decide(
            self.path, self.environment, self.engine, self.name, self.namespace)
        self.certificate = decision.certificate
        """The certificate cert-manager issues for it (TLS by default), or None."""
        self.plain_text = decision.plain
        """Why it speaks plain text where it would serve TLS by default (the Environment's plain_databases)."""
        self.tls = explicit_tls if self.certificate is None else self.certificate.secret
        if self.tls is not None:
            self.secrets |= {f"DB_TLS_{key}": SecretRef(self.tls, file) for key, file in spec.TLS_FILES.items()}
        tls = self.engine.tls if self.tls is not None else None
        self.health = Health.exec(self._fill_all(tls.health if tls else self.engine.health), start_period_seconds=120)
        self.env.update({k: self._fill(v) for k, v in self.engine.server_env.items()})
        self.service_account = self.handle("service-account")
        self.stateful_set = self.handle("controller")
        self.service = self.handle("service")
        self.headless_service = self.handle("headless-service")
        self.network_policy = self.handle("network-policy")
        backup = props.get("backup")
        self.barman_target = backup.to if backup is not None and self.ha is not None else None
        """The bucket barman writes the cluster's backups to (with ha and a Backup), else None."""
        self.cluster_spec = self._cluster(self.ha, backup) if self.ha is not None else None  # (None without ha)
        self.cluster = self.handle("cluster")
        """The CloudNativePG Cluster (with ha=)."""
        self.scheduled_backup = self.handle("scheduled-backup")
        """barman's ScheduledBackup (with ha= and a Backup)."""
        if self.cluster_spec is not None:  # barman backs it up: no dumps, so nothing a restore or drill reads
            backup = None
        self.backup = self._backup_job(backup) if backup is not None else None
        self.restore = self._restore_job(backup) if backup is not None else None
        """The suspended CronJob that restores a dump of the backup (None without a backup)."""
        drill = backup.drill if backup is not None else None
        self.drill = self._drill_job(backup, drill) if backup is not None and drill is not None else None
        """The CronJob that restores the newest dump into a scratch server and checks it (None without a drill)."""

    @property
    def port(self) -> int:
        return self.engine.port

    def _cluster(self, ha: Ha, backup: Backup | None) -> spec.DatabaseCluster:
        """The Cluster's contents, its props checked: in a mesh its instances' own traffic (the operator's, the
        replicas') would need the mesh's exceptions shipform does not make."""
        rule = ha.validate(self.path, self.environment.local)
        if self.environment.mesh_of(self.namespace) is not None:
            raise ShipformError(self.path, "ha", "is not offered in a namespace enrolled in a service mesh",
                                self.namespace, "put the database in a SecureNamespace without mesh= (its clients "
                                "reach it over TLS across namespaces), or drop ha")
        cidrs, port = ha.api(self.path)
        store, recovery = ha.backup(self.path, backup, self.name, f"{self.app.name}/{self.environment.name}")
        return spec.DatabaseCluster(
            ha.instances, IMAGE.format(tag=IMAGE_TAGS[self.version]), self.database, self.user, self.password.name,
            self.storage, self.storage_class, rule, ha.operator_namespace, OPERATOR_PODS, cidrs, port, self.port,
            self.tls, store, recovery, self.environment.monitoring)

    def _backup_job(self, backup: Backup) -> BackupJob:
        """The CronJob that dumps the database as its backup user (a user that may only read, where the engine
        has one), told how to reach it."""
        size = backup.volume_size(self.path, self.storage, self.environment.local)
        secrets = {"DB_PASSWORD": self.dump_password}  # the dump's only credential: the upload has its own
        return BackupJob(self, backup, size, self.engine, backup_script(self), self._with_ca(secrets),
                         self._connection(self.engine.backup_user or self.user), self.storage_class)

    def _restore_job(self, backup: Backup) -> RestoreJob:
        """The suspended CronJob that restores a dump, as the application's user (the owner of its database)."""
        return RestoreJob(self, backup, backup.volume_size(self.path, self.storage, self.environment.local),
                          self.engine, restore_script(self), self._with_ca({"DB_PASSWORD": self.password}),
                          self._connection(self.user))

    def _drill_job(self, backup: Backup, drill: Drill) -> DrillJob:
        """The scheduled restore drill: the newest dump into a scratch server as large as the database, where
        the application's user owns an empty database of its name, as here."""
        server = drill.scratch_server(self.path, self.engine)
        size = backup.volume_size(self.path, self.storage, self.environment.local)
        connection = {"DB_USER": self.user, "DB_NAME": self.database} if self.engine.has_database else {}
        return DrillJob(self, drill, backup.to, size, self.storage, self.engine, server, connection)

    def _with_ca(self, secrets: dict[str, SecretRef]) -> dict[str, SecretRef]:
        """And the CA that vouches for the server, where it takes TLS only."""
        return {**secrets, "DB_TLS_CA": SecretRef(self.tls, "ca.crt")} if self.tls is not None else secrets

    def _connection(self, user: str) -> dict[str, str]:
        return {"DB_HOST": self.name, "DB_PORT": str(self.port), "DB_USER": user, "DB_NAME": self.database}

    def _fill(self, template: str) -> str:
        return fill(template, user=self.user, database=self.database, port=self.port,
                    password_file=f"/run/secrets/{self.password.file_name}",
                    root_password_file=f"/run/secrets/{self.password.name}.root-password", **self.tls_files())

    def tls_files(self) -> dict[str, str]:
        """{tls_cert, tls_key, tls_ca: where each file of the TLS Secret is mounted}, or {} without TLS."""
        if self.tls is None:
            return {}
        return {f"tls_{key.lower()}": f"/run/secrets/{self.tls}.{file}" for key, file in spec.TLS_FILES.items()}

    def dump_command(self) -> str:
        """The backup's dump: over TLS, verifying the server, when the database takes TLS only."""
        tls = self.engine.tls if self.tls is not None else None
        return self._fill(tls.dump) if tls else self.engine.dump

    def restore_command(self) -> str:
        """The restore: over TLS, verifying the server, when the database takes TLS only."""
        tls = self.engine.tls if self.tls is not None and not self.engine.restore_offline else None
        return tls.restore if tls else self.engine.restore

    def _fill_all(self, templates: tuple[str, ...]) -> list[str]:
        return [self._fill(t) for t in templates]

    # ------------------------------------------------------------------ what clients are told
    @property
    def is_database(self) -> bool:
        """A database a migration runs against: one with named databases, not a cache or queue (redis)."""
        return self.engine.has_database

    def database_client(self) -> DatabaseClient:
        e, tls = self.engine, self.engine.tls if self.tls is not None else None
        host = spec.ServiceHost(self.name, self.namespace, f"{self.name}-rw" if self.ha is not None else None)
        return DatabaseClient(self.env_prefix, e, host, self.port, self.user,
                              self.database, self.password, self.password_env,
                              tls.url_scheme if tls else e.url_scheme,
                              fill(tls.url_query, **self.tls_files()) if tls else "",
                              SecretRef(self.tls, "ca.crt") if self.tls is not None else None)

    def client_env(self, ports: tuple[spec.Port, ...] = ()) -> list[spec.EnvVar]:
        return self.database_client().env()

    def client_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        return self.database_client().risks()

    def owned_secrets(self) -> set[SecretRef]:
        """Its passwords: the image (or its start command) sets them at first start, so any random value is
        right."""
        return {self.password, self.dump_password, *([self.queue_reader_password] if self.queues() else []),
                *([SecretRef(self.password.name, "root-password")] if self.engine.root_password else [])}

    def queues(self) -> tuple[str, ...]:
        """The names of its queues KEDA reads (Workers' ``scale_on=Queue(on=self)``), where the engine has a user
        for that; sorted, each once."""
        if self.engine.queue_reader is None:
            return ()
        return tuple(sorted({w.queue.name for w in self.environment.workloads
                             if isinstance(w, Workload) and w.queue is not None and w.queue.on is self}))

    def all_secrets(self) -> dict[str, SecretRef]:
        """Its own secrets, and the password of KEDA's user where KEDA reads one of its queues."""
        found = super().all_secrets()
        if self.queues():
            found["DB_QUEUE_READER_PASSWORD"] = self.queue_reader_password
        return found

    def server_command(self) -> list[str]:
        """The engine's start command: over TLS when asked, with KEDA's user where KEDA reads its queues."""
        return self._fill_all(start_command(self.engine, self.tls is not None, self.queues()))

    def command_spec(self) -> tuple[str, ...] | None:
        return tuple(self.server_command()) or None

    def client_secrets(self) -> dict[str, SecretRef]:
        return self.database_client().secrets()

    def tls_secrets(self) -> set[str]:
        """The Secret cert-manager issues its certificate into (TLS by default)."""
        return {self.certificate.secret} if self.certificate is not None else set()

    # ------------------------------------------------------------------ the spec
    def run_facets(self) -> tuple[spec.Facet, ...]:
        """Its issued certificate (for the names of CloudNativePG's Services, with ha), or the reason it speaks plain
        text; with ha, its Cluster."""
        cluster = (self.cluster_spec,) if self.cluster_spec is not None else ()
        if self.certificate is not None:
            names = self.certificate.dns_names if not cluster else tuple(
                n for kind in ("rw", "ro", "r") for n in dns_names(f"{self.name}-{kind}", self.namespace))
            return (replace(self.certificate, dns_names=names), *cluster)
        return (spec.PlainText(self.plain_text),) if self.plain_text is not None else (*cluster,)

    def run_spec(self) -> spec.Continuous:
        return spec.Continuous(replicas=self.ha.instances if self.ha is not None else 1, stateful=True)

    def endpoint(self, ports: tuple[spec.Port, ...] = ()) -> spec.Endpoint:
        """With ha, its pods are CloudNativePG's, picked by their cluster's label."""
        return replace(super().endpoint(ports), pods=self._pods())

    def to_spec(self, clients: Sequence[Workload] | None = None) -> spec.Workload:
        return replace(super().to_spec(clients), pods=self._pods())

    def _pods(self) -> tuple[tuple[str, str], ...]:
        return ((spec.CLUSTER_LABEL, self.name),) if self.ha is not None else ()

    def egress_to_internet(self) -> tuple[spec.EgressToInternet, ...]:
        """With ha and a Backup, barman reaches the bucket from every instance."""
        target = self.barman_target
        return (target.egress(),) if target is not None else ()

    def ports(self) -> tuple[spec.Port, ...]:
        return (spec.Port(self.engine.name, self.port),)

    def data_owner(self) -> tuple[int, int] | None:
        return self.engine.compose_uid, self.engine.compose_uid

    def volumes(self) -> tuple[spec.Volume, ...]:
        claim = spec.ClaimTemplate(self.storage, self.storage_class, self.access_mode)
        return (spec.Volume("data", self.engine.data_path, f"{self.name}-data", claim),)


def _engine(path: str, engine: str) -> Engine:
    if engine not in ENGINES:
        raise ShipformError(path, "engine", f"must be one of {', '.join(ENGINES)}", engine,
                            "pick a supported engine, e.g. engine='postgres'")
    return ENGINES[engine]


def _version(path: str, engine: Engine, version: str) -> str:
    if version not in engine.versions:
        supported = ", ".join(engine.versions)
        raise ShipformError(path, "version", f"is not a supported {engine.name} version ({supported})", version,
                            f"pick one of {supported}; shipform pins each to an exact tag")
    return version


def _tls(path: str, engine: Engine, secret: str | None) -> str | None:
    if secret is None:
        return None
    checks.subdomain_name(path, "tls", secret, "db-tls")
    if engine.tls is None:
        offered = ", ".join(name for name, e in ENGINES.items() if e.tls is not None)
        raise ShipformError(path, "tls", f"is offered for {offered}, not yet for {engine.name}",
                            secret, "drop tls (the database's NetworkPolicy already admits only its clients), or use "
                            f"one of {offered}")
    return secret

