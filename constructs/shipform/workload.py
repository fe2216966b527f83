"""What every long-running or batch workload shares: image or build, command, env, secrets, resources,
health, the connects_to graph and the hardened pod. WebService and later kinds build on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from constructs import Construct

from shipform import props
from shipform.base import ShipformConstruct
from shipform.build import Build
from shipform.errors import ShipformError
from shipform.health import Health
from shipform.values import Resources, SecretRef

if TYPE_CHECKING:
    from shipform.web_service import WebService

DEFAULT_UID = 10001
"""Above 10000 so it never matches a host account (checkov CKV_K8S_40, trivy KSV020/KSV021)."""


class Workload(ShipformConstruct):
    """Base of the workload constructs; not used directly.

    :param image: a pinned prebuilt image ('nginx:1.27.3'); exactly one of ``image``, ``build``, ``image_of``.
    :param build: a :class:`Build` preset that builds the image from source.
    :param image_of: another workload whose image this one runs (with its own ``command``).
    :param command: Default: the image's CMD. The process to run (exec form).
    :param env: Default: {}. Plain environment variables. Credentials are refused here: use ``secrets``.
    :param secrets: Default: {}. ``{ENV_NAME: SecretRef(name, key)}``; each is mounted read-only at
        ``/run/secrets/<name>.<key>`` and ``ENV_NAME_FILE`` holds that path.
    :param resources: Default: ``Resources()`` (100m/128Mi requested, 500m/256Mi limit).
    :param connects_to: Default: []. Services this one calls; drives env vars, network policies, compose
        networks and start order.
    :param writable_paths: Default: ('/tmp',). Writable folders under the read-only root filesystem
        (emptyDir in Kubernetes, tmpfs in compose).
    :param read_only_root_filesystem: Default: True. False is an explicit relaxation.
    :param run_as_user: Default: 10001. UID in the Dockerfile USER, runAsUser and compose ``user``.
    :param run_as_group: Default: 10001. GID, the same everywhere.
    :param termination_grace_period_seconds: Default: 30. Time between SIGTERM and SIGKILL.
    """

    component = "workload"

    def __init__(self, scope: Construct, id: str, *, image: str | None = None, build: Build | None = None,
                 image_of: Workload | None = None, command: Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None, secrets: Mapping[str, SecretRef] | None = None,
                 resources: Resources | None = None, health: Health | None = None,
                 connects_to: Sequence[WebService] = (), writable_paths: Sequence[str] = ("/tmp",),
                 read_only_root_filesystem: bool = True, run_as_user: int = DEFAULT_UID,
                 run_as_group: int = DEFAULT_UID, termination_grace_period_seconds: int = 30):
        super().__init__(scope, id)
        self.image_source = self._validate_image(image, build, image_of)
        self.command = props.command(self.path, "command", command) if command is not None else None
        self.env = self._validate_env(env or {})
        self.secrets = self._validate_secrets(secrets or {})
        self.resources = resources or Resources()
        self.resources.validate(self.path)
        self.health = health
        if health is not None:
            health.validate(self.path)
        self.connects_to = list(connects_to)
        self.writable_paths = [self._validate_writable(p) for p in writable_paths]
        self.read_only_root_filesystem = bool(read_only_root_filesystem)
        self.run_as_user = props.positive_int(self.path, "run_as_user", run_as_user)
        self.run_as_group = props.positive_int(self.path, "run_as_group", run_as_group)
        self.termination_grace_period_seconds = props.positive_int(
            self.path, "termination_grace_period_seconds", termination_grace_period_seconds)
        self.environment.workloads.append(self)

    # ------------------------------------------------------------------ prop validation
    def _validate_image(self, image: str | None, build: Build | None, image_of: Workload | None) -> Workload | None:
        """Sets ``image`` and ``build``; returns the workload whose image this one reuses, if any."""
        given = [name for name, value in (("image", image), ("build", build), ("image_of", image_of)) if value]
        if len(given) != 1:
            raise ShipformError(self.path, "image/build", "exactly one of image, build and image_of must be given",
                                given, "pass image='name:tag', build=Build.python(...) or image_of=<service>")
        self.build: Build | None = None
        if build is not None:
            if not isinstance(build, Build):
                raise ShipformError(self.path, "build", "must be a Build", build, "use Build.python/node/go(...)")
            build.validate(self.path)
            self.build = build
            self.image = self.app.image_for(self.name)
            return None
        if image_of is not None:
            if not isinstance(image_of, Workload) or image_of.environment is not self.environment:
                raise ShipformError(self.path, "image_of", "must be a workload of the same Environment",
                                    getattr(image_of, "path", image_of), "pass the construct whose image to run")
            self.image = image_of.image
            return image_of.image_source or image_of
        self.image = props.image_ref(self.path, "image", image)
        return None

    def _validate_env(self, env: Mapping[str, str]) -> dict[str, str]:
        if not isinstance(env, Mapping):
            raise ShipformError(self.path, "env", "must be a mapping of names to strings", env,
                                "pass env={'LOG_LEVEL': 'info'}")
        for name, value in env.items():
            props.env_name(self.path, "env", name)
            path_to_secret_file = name.endswith("_FILE") and isinstance(value, str) and value.startswith("/")
            if isinstance(value, SecretRef) or (props.SECRET_NAME.search(name) and not path_to_secret_file):
                raise ShipformError(self.path, f"env.{name}", "looks like a credential; literal values would land "
                                    "in generated files", "<redacted>",
                                    f"pass secrets={{'{name}': SecretRef('<secret>', '<key>')}} instead")
            if not isinstance(value, str):
                raise ShipformError(self.path, f"env.{name}", "must be a string", value, f"write '{value}' in quotes")
        return dict(env)

    def _validate_secrets(self, secrets: Mapping[str, SecretRef]) -> dict[str, SecretRef]:
        for name, ref in secrets.items():
            props.env_name(self.path, "secrets", name)
            if not isinstance(ref, SecretRef):
                raise ShipformError(self.path, f"secrets.{name}", "must be a SecretRef, never a value",
                                    "<redacted>", f"pass SecretRef('<secret>', '<key>') for {name}")
            ref.validate(self.path, f"secrets.{name}")
            if name in self.env:
                raise ShipformError(self.path, f"secrets.{name}", "is also set in env", name, "keep it in one place")
        return dict(secrets)

    def _validate_writable(self, path: object) -> str:
        if not isinstance(path, str) or not path.startswith("/") or path == "/" or ".." in path.split("/"):
            raise ShipformError(self.path, "writable_paths", "entries must be absolute folders other than '/'",
                                path, "pass e.g. ['/tmp', '/var/cache/app']")
        return path

    # ------------------------------------------------------------------ derived facts other outputs share
    @property
    def port(self) -> int | None:
        return None

    @property
    def labels(self) -> dict[str, str]:
        return {**self.selector, "app.kubernetes.io/component": self.component,
                "app.kubernetes.io/managed-by": "shipform", "app.kubernetes.io/version": self.app.version}

    @property
    def selector(self) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.name, "app.kubernetes.io/part-of": self.app.name}

    def metadata(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"name": name or self.name, "namespace": self.namespace, "labels": self.labels, **extra}

    def _service_account(self) -> dict[str, Any]:
        """Every workload has its own ServiceAccount, and no API token is mounted from it."""
        return {"metadata": self.metadata(), "automountServiceAccountToken": False}

    def _pdb(self) -> dict[str, Any]:
        return {"metadata": self.metadata(), "spec": {"maxUnavailable": 1, "selector": {"matchLabels": self.selector}}}

    inject_connection_env = True
    """False for workloads (such as backup jobs) that reach their targets with env of their own."""

    def client_env(self, platform: str) -> dict[str, str | SecretRef]:
        """What a client of this workload is told about it ('k8s' or 'compose'); servers override it."""
        return {}

    def client_secrets(self) -> dict[str, SecretRef]:
        """Secrets a client of this workload needs as files (e.g. a database password)."""
        return {}

    def connection_env(self, platform: str) -> dict[str, str | SecretRef]:
        """Env vars that tell this workload where and how to reach its connects_to targets."""
        env: dict[str, str | SecretRef] = {}
        if self.inject_connection_env:
            for target in sorted(self.connects_to, key=lambda t: t.name):
                env.update(target.client_env(platform))
        return env

    def all_secrets(self) -> dict[str, SecretRef]:
        """Own secrets plus those its targets hand their clients; each becomes /run/secrets/<name>.<key>."""
        client = {}
        if self.inject_connection_env:
            for target in sorted(self.connects_to, key=lambda t: t.name):
                client.update(target.client_secrets())
        return {**client, **self.secrets}

    def all_env(self, platform: str = "k8s") -> dict[str, str | SecretRef]:
        """Connection env, then the workload's own env, then ``<NAME>_FILE`` for every secret file.
        SecretRef values only appear for Kubernetes, as secretKeyRef entries."""
        files = {f"{name}_FILE": f"/run/secrets/{ref.file_name}" for name, ref in self.all_secrets().items()}
        return {**self.connection_env(platform), **self.env, **files}

    def extra_volumes(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(pod volumes, container mounts) a subclass adds, such as a database's data volume."""
        return [], []

    def external_egress(self) -> list[dict[str, Any]]:
        """NetworkPolicy egress rules to places outside the cluster that the workload needs."""
        return []

    def compose_user(self) -> str:
        return f"{self.run_as_user}:{self.run_as_group}"

    def compose_volumes(self) -> list[dict[str, str]]:
        """Named volumes (compose's PersistentVolumeClaims) the service mounts."""
        return []

    def _accepted_by(self, target: Workload) -> bool:
        members = self.environment.members
        namespace = next((m for m in members if getattr(m, "namespace_name", None) == target.namespace), None)
        accepted = getattr(namespace, "accepts_from", [])
        return any(getattr(a, "namespace_name", None) == self.namespace for a in accepted)

    @property
    def built_by(self) -> Workload | None:
        """The workload whose Dockerfile builds this one's image (itself, or its image_of source)."""
        if self.build is not None:
            return self
        source = self.image_source
        return source if source is not None and source.build is not None else None

    def validate(self) -> list[ShipformError]:
        errors: list[ShipformError] = []
        for target in self.connects_to:
            if not isinstance(target, Workload) or target.port is None:
                errors.append(ShipformError(self.path, "connects_to", "entries must be services with a port",
                                            getattr(target, "path", target), "list WebService or StatefulDB"))
            elif target.environment is not self.environment:
                errors.append(ShipformError(self.path, "connects_to", "crosses environments", target.path,
                                            "connect to the service of the same Environment"))
            elif target is self:
                errors.append(ShipformError(self.path, "connects_to", "lists the service itself", target.path,
                                            "remove it"))
            elif target.namespace != self.namespace and not self._accepted_by(target):
                errors.append(ShipformError(
                    self.path, "connects_to", f"crosses from namespace '{self.namespace}' to '{target.namespace}' "
                    "without that namespace accepting it", target.path,
                    f"pass accepts_from=[<the '{self.namespace}' SecureNamespace>] to SecureNamespace "
                    f"'{target.namespace}'"))
        if self.build is not None:
            try:
                self.build.detect_layout(self.path, self.app.root / self.build.context)
            except ShipformError as err:
                errors.append(err)
            if not (self.command or self.build.command or self.build.spec.default_command):
                errors.append(ShipformError(self.path, "command", f"is required for the {self.build.preset} preset",
                                            None, "pass command=[...] to the construct or to Build"))
        return errors

