"""StatefulDB: Postgres, MySQL, MariaDB, Redis or MongoDB as a StatefulSet with its volume, wired to
its clients, with the password only ever a reference."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from shipform import props
from shipform.backup import Backup
from shipform.base import child_path
from shipform.engines import ENGINES, Engine, fill
from shipform.errors import ShipformError
from shipform.health import Health
from shipform.outputs import network, pod
from shipform.values import Resources, SecretRef
from shipform.workload import Workload

ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany")


class StatefulDB(Workload):
    """A database: StatefulSet with a volumeClaimTemplate, a headless Service for its pods, a ClusterIP
    Service for clients, ServiceAccount, NetworkPolicy (only clients that declared ``connects_to`` it, on
    its port only) and PodDisruptionBudget; in compose the engine with a named volume.

    One replica (there is no replication, so no pretend high availability): a PodDisruptionBudget of
    ``maxUnavailable: 1`` lets nodes drain, and the pod comes back on its volume.

    :param engine: 'postgres', 'mysql', 'mariadb', 'redis' or 'mongodb' (required).
    :param version: a supported major version, e.g. '16' for postgres (required); pinned to an exact tag.
    :param storage: Default: '10Gi'. Size of the data volume.
    :param storage_class: Default: None (the cluster's default StorageClass).
    :param access_mode: Default: 'ReadWriteOnce'.
    :param database: Default: the app's name. Ignored by redis.
    :param user: Default: the app's name. Ignored by redis (which has one password).
    :param password: Default: ``SecretRef('<id>-credentials', 'password')``. mysql and mariadb also read
        the key 'root-password' of the same Secret.
    :param env_prefix: Default: the id in upper case ('DB' for 'db'). Clients get ``<PREFIX>_HOST``,
        ``_PORT``, ``_NAME``, ``_USER``, ``_PASSWORD_FILE`` and ``_URL``.
    :param url_env: Default: True. Kubernetes clients get ``<PREFIX>_URL`` with the password expanded from a
        secretKeyRef (``$(<PREFIX>_PASSWORD)``); False keeps the password in files only.
    :param backup: Default: None. A :class:`Backup` adds a scheduled dump.
    :param digest: Default: None. 'sha256:...' pins the engine image by digest as well as by its exact tag.
    :param resources: Default: 250m/512Mi requested, 1 CPU/1Gi limit.
    """

    component = "database"

    def __init__(self, scope: Construct, id: str, *, engine: str, version: str, storage: str = "10Gi",
                 storage_class: str | None = None, access_mode: str = "ReadWriteOnce", database: str | None = None,
                 user: str | None = None, password: SecretRef | None = None, env_prefix: str | None = None,
                 url_env: bool = True, backup: Backup | None = None, resources: Resources | None = None,
                 digest: str | None = None, termination_grace_period_seconds: int = 60):
        path = child_path(scope, id)
        self.engine = _engine(path, engine)
        self.version = _version(path, self.engine, version)
        self.password = password or SecretRef(f"{id}-credentials", "password")
        if not isinstance(self.password, SecretRef):
            raise ShipformError(path, "password", "must be a SecretRef, never a value", "<redacted>",
                                f"pass SecretRef('{id}-credentials', 'password')")
        secrets = {"DB_PASSWORD": self.password}
        if self.engine.root_password:
            secrets["DB_ROOT_PASSWORD"] = SecretRef(self.password.name, "root-password")
        image = self.engine.image.format(tag=self.engine.versions[self.version])
        if props.digest(path, "digest", digest):
            image = f"{image}@{digest}"
        super().__init__(scope, id, image=image,
                         secrets=secrets, resources=resources or Resources("250m", "512Mi", "1", "1Gi"),
                         writable_paths=self.engine.writable_paths,
                         termination_grace_period_seconds=termination_grace_period_seconds)
        props.memory_bytes(self.path, "storage", storage)
        self.storage = storage
        self.storage_class = None if storage_class is None else props.dns_label(self.path, "storage_class",
                                                                                storage_class, max_len=253)
        self.access_mode = props.one_of(self.path, "access_mode", access_mode, ACCESS_MODES)
        self.database = props.dns_label(self.path, "database", database or self.app.name)
        self.user = props.dns_label(self.path, "user", user or self.app.name)
        self.env_prefix = props.env_name(self.path, "env_prefix", env_prefix or id.upper().replace("-", "_"))
        self.url_env = bool(url_env)
        self.health = Health.exec(self._fill_all(self.engine.health), start_period_seconds=120)
        self.command = self._fill_all(self.engine.command) or None
        self.env.update({k: self._fill(v) for k, v in self.engine.server_env.items()})
        self.service_account = self.add_object("v1", "ServiceAccount", self._service_account)
        self.stateful_set = self.add_object("apps/v1", "StatefulSet", self._stateful_set)
        self.service = self.add_object("v1", "Service", self._service)
        self.headless_service = self.add_object("v1", "Service", self._headless_service, name=f"{id}-headless")
        self.network_policy = self.add_object("networking.k8s.io/v1", "NetworkPolicy",
                                              lambda: network.network_policy(self))
        self.disruption_budget = self.add_object("policy/v1", "PodDisruptionBudget", self._pdb)
        self.backup = backup.attach(self) if backup is not None else None

    @property
    def port(self) -> int:
        return self.engine.port

    def _fill(self, template: str) -> str:
        return fill(template, user=self.user, database=self.database, port=self.port,
                    password_file=f"/run/secrets/{self.password.file_name}",
                    root_password_file=f"/run/secrets/{self.password.name}.root-password")

    def _fill_all(self, templates: tuple[str, ...]) -> list[str]:
        return [self._fill(t) for t in templates]

    # ------------------------------------------------------------------ what clients are told
    def client_env(self, platform: str) -> dict[str, str | SecretRef]:
        p, e = self.env_prefix, self.engine
        env: dict[str, str | SecretRef] = {f"{p}_HOST": self.name, f"{p}_PORT": str(self.port)}
        if e.name != "redis":
            env.update({f"{p}_NAME": self.database, f"{p}_USER": self.user})
        path = fill(e.url_path, database=self.database)
        user = "" if e.name == "redis" else self.user
        if platform == "k8s" and self.url_env:
            # Dependent env var expansion: the URL is assembled by the kubelet; no file holds the password.
            env[f"{p}_PASSWORD"] = self.password
            env[f"{p}_URL"] = f"{e.url_scheme}://{user}:$({p}_PASSWORD)@{self.name}:{self.port}{path}"
        elif platform == "compose":
            # compose cannot expand a secret into a URL: this URL has no password; <PREFIX>_PASSWORD_FILE has it.
            env[f"{p}_URL"] = f"{e.url_scheme}://{user + '@' if user else ''}{self.name}:{self.port}{path}"
        return env

    def client_secrets(self) -> dict[str, SecretRef]:
        return {f"{self.env_prefix}_PASSWORD": self.password}

    # ------------------------------------------------------------------ Kubernetes objects
    def extra_volumes(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return [], [{"name": "data", "mountPath": self.engine.data_path}]

    def compose_user(self) -> str:
        return f"{self.engine.compose_uid}:{self.engine.compose_uid}"

    def compose_volumes(self) -> list[dict[str, str]]:
        return [{"type": "volume", "source": f"{self.name}-data", "target": self.engine.data_path}]

    def _stateful_set(self) -> dict[str, Any]:
        ports = [{"name": self.engine.name, "containerPort": self.port, "protocol": "TCP"}]
        claim: dict[str, Any] = {"accessModes": [self.access_mode],
                                 "resources": {"requests": {"storage": self.storage}}}
        if self.storage_class:
            claim["storageClassName"] = self.storage_class
        return {"metadata": self.metadata(), "spec": {
            "replicas": 1,
            "serviceName": f"{self.name}-headless",
            "podManagementPolicy": "OrderedReady",
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": self.selector},
            "updateStrategy": {"type": "RollingUpdate"},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "template": pod.pod_template(self, ports),
            "volumeClaimTemplates": [{"metadata": {"name": "data", "labels": self.selector}, "spec": claim}],
        }}

    def _ports(self) -> list[dict[str, Any]]:
        return [{"name": self.engine.name, "port": self.port, "targetPort": self.engine.name, "protocol": "TCP"}]

    def _service(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "spec": {"type": "ClusterIP", "selector": self.selector,
                                                      "ports": self._ports()}}

    def _headless_service(self) -> dict[str, Any]:
        return {"metadata": self.metadata(f"{self.name}-headless"), "spec": {
            "clusterIP": "None", "publishNotReadyAddresses": True, "selector": self.selector,
            "ports": self._ports()}}


def _engine(path: str, engine: object) -> Engine:
    if engine not in ENGINES:
        raise ShipformError(path, "engine", f"must be one of {', '.join(ENGINES)}", engine,
                            "pick a supported engine, e.g. engine='postgres'")
    return ENGINES[engine]  # type: ignore[index]


def _version(path: str, engine: Engine, version: object) -> str:
    if version not in engine.versions:
        supported = ", ".join(engine.versions)
        raise ShipformError(path, "version", f"is not a supported {engine.name} version ({supported})", version,
                            f"pick one of {supported}; shipform pins each to an exact tag")
    return version  # type: ignore[return-value]
