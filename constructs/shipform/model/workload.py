"""What every long-running or batch workload shares: image or build, command, env, secrets, resources,
the connects_to graph and the hardened pod, and how all of it becomes the workload's spec. The checks of its
props as plain values are in workload_checks.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, TypedDict

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import ShipformConstruct
from shipform.model.broker import Broker, collision_fix
from shipform.model.build import Build
from shipform.model.config import check_files, check_values, config_spec, read_files
from shipform.model.external import External
from shipform.model.mesh import proxy_metrics
from shipform.model.observability import otlp_env
from shipform.model.placement import Capacity, placement, spot_error
from shipform.model.users import RunsAs, ServiceUsers
from shipform.model.workload_checks import (
    check_env,
    check_risks,
    check_secrets,
    check_writable_paths,
    file_collisions,
    mount_collisions,
    team_user_errors,
    writable_root_error,
)
from shipform.values import checks
from shipform.values.health import Health
from shipform.values.quantity import Memory
from shipform.values.resources import ComputeResources, Resources
from shipform.values.rollout import RoutedCanary
from shipform.values.secret_ref import SecretRef

if TYPE_CHECKING:
    from shipform.model.knative import Serverless
    from shipform.model.queue_scaling import Queue


class WorkloadProps(TypedDict, total=False):
    name: str
    """Default: the id, or inside a composite construct its path below the namespace (``orders-api``, cut to fit
    with a hash when long). The name of every object, compose service and network, and the env var prefix."""
    image: str
    """A pinned prebuilt image ('nginx:1.27.3'); exactly one of ``image``, ``build``, ``image_of``."""
    build: Build
    """A :class:`Build` preset that builds the image from source."""
    image_of: Workload
    """Another workload whose image this one runs (with its own ``command``)."""
    command: Sequence[str]
    """Default: the image's CMD. The process to run (exec form)."""
    env: Mapping[str, str]
    """Default: {}. Plain environment variables. Credentials are refused here: use ``secrets``."""
    secrets: Mapping[str, SecretRef]
    """Default: {}. ``{ENV_NAME: SecretRef(name, key)}``; each is mounted read-only at
    ``/run/secrets/<name>.<key>`` and ``ENV_NAME_FILE`` holds that path."""
    config: Mapping[str, str]
    """Default: {}. Configuration as environment variables: in Kubernetes from the workload's immutable
    ConfigMap ``<id>-config-<hash of the content>`` (a change is a new ConfigMap, so the pods roll and GitOps
    prunes the old one), in compose its ``environment``. Credentials are refused: use ``secrets``."""
    files: Mapping[str, str]
    """Default: {}. ``{mount path: source}``: files of the app (relative to the app file's folder) mounted
    read-only at absolute paths, from the same ConfigMap in Kubernetes and as compose ``configs``; left out
    of the image's build context, so never baked in. Read at synth time: UTF-8 text without credentials."""
    resources: Resources
    """Default: ``Resources()`` (100m/128Mi requested, 500m/256Mi limit)."""
    connects_to: Sequence[Workload | Connection | External | Broker]
    """Default: []. Services this one calls; drives env vars, network policies, compose networks and
    start order. A service stands for its main port; ``api.on("grpc")`` for the named ports only; an
    :class:`External` for a server outside the cluster; a :class:`Broker` to send it events (``K_SINK``)."""
    writable_paths: Sequence[str]
    """Default: ['/tmp']. Writable folders under the read-only root filesystem (emptyDir in Kubernetes,
    tmpfs in compose)."""
    read_only_root_filesystem: bool
    """Default: True. False is an explicit relaxation, with its reason in ``accepted_risks``:
    ``{"readOnlyRootFilesystem": "nginx writes its pid and cache under /var"}``."""
    run_as_user: int
    """Default: the service's own UID, derived from the app's and the service's names (20000-59999, distinct
    inside the App; :mod:`shipform.values.uids`). UID in the Dockerfile USER, runAsUser and compose ``user``."""
    run_as_group: int
    """Default: the same number as ``run_as_user``. GID (runAsGroup, fsGroup), the same everywhere."""
    termination_grace_period_seconds: int
    """Default: 30. Time between SIGTERM and SIGKILL."""
    capacity: Capacity
    """Default: 'on-demand'. 'spot': spot (preemptible) nodes of EKS, Karpenter, GKE or AKS only; refused for databases,
    workloads with a volume of their own, node agents and serverless services (a reclaim would lose or stop them)."""
    accepted_risks: Mapping[str, str]
    """Default: {}. Scanner findings this workload accepts on purpose, ``{check id: reason}``, e.g.
    ``{"CKV_K8S_40": "the official nginx image runs as its user 101"}``, or Pod Security "restricted" rules its
    pods break on purpose (by a prop or an escape-hatch patch; refused otherwise), ``{rule: reason}``, e.g.
    ``{"readOnlyRootFilesystem": "nginx writes its cache under /var"}`` next to ``read_only_root_filesystem=False``
    (rules: privileged, hostNetwork, hostPID, hostIPC, hostPort, capabilities, runAsNonRoot, runAsUser,
    allowPrivilegeEscalation, hostPath, readOnlyRootFilesystem, seccompProfile, procMount, seLinuxOptions, sysctls,
    appArmorProfile, hostProcess, volumes); a rule stands for the scanner checks that report it; or a risk of reach
    no scanner reports (``knativeSharedGateway``: a cluster-local serverless service, written on its Knative Service
    and NetworkPolicy as ``shipform.dev/knative-shared-gateway``). Written where
    each scanner reads them: checkov's ``CKV_*`` as annotations on the workload's objects, trivy's ``KSV-*`` in
    .trivyignore.yaml for its files."""


@dataclass(frozen=True)
class Connection:
    """A connection to some named ports of a service, ``connects_to=[api.on("grpc", "metrics")]``: the client
    may use those ports only (NetworkPolicies per port) and is told each one in ``<NAME>_<PORT>_PORT``."""

    target: Workload
    ports: tuple[str, ...]


class Workload(ShipformConstruct, RunsAs):
    """Base of the workload constructs; not used directly. Props: :class:`WorkloadProps`."""

    component = "workload"
    prop_example: ClassVar[str] = "a WebService or StatefulDB construct"
    inject_connection_env = True
    """False for workloads (such as backup jobs) that reach their targets with env of their own."""
    reports_telemetry = True
    """False for workloads that run no code of the app (databases, backups): no OTLP env and no way out to the
    collector."""
    health: Health | None = None
    # What the kinds that have them set (read across workloads, e.g. by a server about its clients).
    queue: Queue | None = None
    """A Worker's scale_on: the queue KEDA scales it by."""
    serverless: Serverless | None = None
    """A WebService's serverless=: Knative runs it."""
    routed: RoutedCanary | None = None
    """A WebService's RoutedCanary: its new version also runs as <name>-canary."""

    def __init__(self, scope: Construct, id: str, props: WorkloadProps):
        super().__init__(scope, id, props.get("name"))
        self.image_source = self._validate_image(props.get("image"), props.get("build"), props.get("image_of"))
        command = props.get("command")
        self.command = checks.command(self.path, "command", command) if command is not None else None
        self.env = check_env(self.path, props.get("env") or {})
        self.secrets = check_secrets(self.path, props.get("secrets") or {}, self.env)
        self.config = check_values(self.path, props.get("config") or {}, self.env, self.secrets)
        self.files = check_files(self.path, props.get("files") or {})
        self.resource_props = props.get("resources") or Resources()
        self.resources: ComputeResources = self.resource_props.parse(self.path)
        self.connects_to: list[Workload | Connection | External | Broker] = list(props.get("connects_to", ()))
        self.writable_paths = check_writable_paths(self.path, list(props.get("writable_paths", ("/tmp",))))
        self.read_only_root_filesystem = props.get("read_only_root_filesystem", True)
        user, group = props.get("run_as_user"), props.get("run_as_group")
        self.explicit_user = None if user is None else checks.positive_int(self.path, "run_as_user", user)
        self.explicit_group = None if group is None else checks.positive_int(self.path, "run_as_group", group)
        self.termination_grace_period_seconds = checks.positive_int(
            self.path, "termination_grace_period_seconds", props.get("termination_grace_period_seconds", 30))
        self.stated_risks = check_risks(self.path, props.get("accepted_risks") or {})
        self.capacity: Capacity = props.get("capacity", "on-demand")
        writable_root_error(self.path, self.read_only_root_filesystem, self.stated_risks)
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
            build.validate(self.path)
            self.build = build
            self.image = self.app.image_for(self.name)
            return None
        if image_of is not None:
            if image_of.environment is not self.environment:
                raise ShipformError(self.path, "image_of", "must be a workload of the same Environment",
                                    image_of.path, "pass the construct whose image to run")
            self.image = image_of.image
            return image_of.image_source or image_of
        self.image = checks.image_ref(self.path, "image", image)
        return None

    def validate(self) -> list[ShipformError]:
        errors = [err for entry in self.connects_to if (err := self._connection_error(entry))]
        secrets = self.all_secrets()
        errors += self._env_collisions() + file_collisions(self.path, secrets) + mount_collisions(
            self.path, (v.mount_path for v in self.volumes()), bool(secrets), self.writable_paths, self.files)
        names = [p.name for p in self.ports()]
        if self.health is not None and self.health.port is not None and self.health.port not in names:
            errors.append(ShipformError(self.path, "health.port", "names no port of the workload", self.health.port,
                                        f"name one of {', '.join(names)}" if names else "leave port out"))
        try:
            self.config_spec()
        except ShipformError as err:
            errors.append(err)
        refused = spot_error(self.path, self.capacity, self.component, self.volumes(), self.serverless is not None)
        errors += [refused] if refused is not None else []
        if self.build is not None:
            try:
                self.build.detect_layout(self.path, self.app.root)
            except ShipformError as err:
                errors.append(err)
            else:
                errors += team_user_errors(self.path, self.build, self.app.root, self.run_as_user, self.run_as_group)
            if self.build.preset != "dockerfile" and not (
                    self.command or self.build.command or self.build.preset_spec.default_command):
                errors.append(ShipformError(self.path, "command", f"is required for the {self.build.preset} preset",
                                            None, "pass command=[...] to the construct or to Build"))
        return errors

    def generates_dockerfile(self) -> bool:
        """shipform writes this workload's Dockerfile (and so its probe program)."""
        return self.build is not None and self.build.preset != "dockerfile"

    def _connection_error(self, entry: Workload | Connection | External | Broker) -> ShipformError | None:
        target = entry.target if isinstance(entry, Connection) else entry
        if target.port is None:
            return ShipformError(self.path, "connects_to", "entries must be services with a port", target.path,
                                 "list WebService or StatefulDB")
        if target.environment is not self.environment:
            return ShipformError(self.path, "connects_to", "crosses environments", target.path,
                                 "connect to the service of the same Environment")
        if target is self:
            return ShipformError(self.path, "connects_to", "lists the service itself", target.path, "remove it")
        if isinstance(target, External | Broker):
            return None  # outside the cluster: no namespace has to accept the client
        if isinstance(entry, Connection):
            names = [p.name for p in target.ports()]
            unknown = [n for n in entry.ports if n not in names]
            if unknown or not entry.ports:
                return ShipformError(self.path, "connects_to", f"names ports {target.path} does not have",
                                     list(entry.ports), f"name one or more of {', '.join(names)}, e.g. "
                                     f"{target.name}.on('{names[-1]}')")
        if target.namespace != self.namespace and not self._accepted_by(target):
            return ShipformError(
                self.path, "connects_to", f"crosses from namespace '{self.namespace}' to '{target.namespace}' "
                "without that namespace accepting it", target.path,
                f"pass accepts_from=[<the '{self.namespace}' SecureNamespace>] to SecureNamespace "
                f"'{target.namespace}'")
        env = self.environment
        if env.mesh_of(target.namespace) and not env.mesh_of(self.namespace):
            return ShipformError(
                self.path, "connects_to", f"reaches into the mesh (namespace '{target.namespace}', mutual TLS "
                f"required) from namespace '{self.namespace}', which has no sidecars, so every call would be refused",
                target.path, f"enroll namespace '{self.namespace}' too (SecureNamespace(..., "
                f"mesh='{env.mesh.kind if env.mesh else 'istio'}'))")
        return None

    def _env_collisions(self) -> list[ShipformError]:
        """Two targets that would set the same variable: one of them would silently be lost."""
        if not self.inject_connection_env:
            return []
        owner: dict[str, Workload | External | Broker] = {}
        errors = []
        for target in sorted(self.targets(), key=lambda t: t.name):
            told = {v.name for v in target.client_env(self.ports_used_on(target))}
            for name in sorted(told | {f"{n}_FILE" for n in target.client_secrets()}):
                first = owner.setdefault(name, target)
                if first is not target:
                    errors.append(ShipformError(
                        self.path, "connects_to", f"gives {first.path} and {target.path} the same variable {name}",
                        name, collision_fix(target)))
        return errors[:1]

    def _accepted_by(self, target: Workload) -> bool:
        return any(self.namespace in m.accepted_namespaces() for m in self.environment.members
                   if m.namespace == target.namespace)

    # ------------------------------------------------------------------ facts other workloads need
    @property
    def port(self) -> int | None:
        return None

    @property
    def is_database(self) -> bool:
        """A database a schema migration runs against (a StatefulDB with named databases); servers override it."""
        return False

    def client_env(self, ports: tuple[spec.Port, ...] = ()) -> list[spec.EnvVar]:
        """What a client using ``ports`` of this workload is told about it; servers override it."""
        return []

    def client_secrets(self) -> dict[str, SecretRef]:
        """Secrets a client of this workload needs as files (e.g. a database password)."""
        return {}

    def endpoint(self, ports: tuple[spec.Port, ...] = ()) -> spec.Endpoint:
        """This workload as a peer of a connection that uses ``ports`` (of the server)."""
        return spec.Endpoint(self.name, self.namespace, self.app.name, self.port, ports,
                             with_canary=self.routed is not None)

    def on(self, *ports: str) -> Connection:
        """A connection to the named ports only: ``connects_to=[api.on("grpc")]``."""
        return Connection(self, ports)

    def targets(self) -> list[Workload | External | Broker]:
        """The workloads this one connects to, each once, in the order given."""
        return list(dict.fromkeys(c.target if isinstance(c, Connection) else c for c in self.connects_to))

    def ports_used_on(self, target: Workload | External | Broker) -> tuple[spec.Port, ...]:
        """The ports of ``target`` it may use, in its order: those named by ``target.on(...)``, the main one if bare."""
        named: set[str] = set()
        main = target.ports()[:1]
        for entry in self.connects_to:
            if isinstance(entry, Connection) and entry.target is target:
                named.update(entry.ports)
            elif entry is target:
                named.update(p.name for p in main)
        return tuple(p for p in target.ports() if p.name in named)

    @property
    def built_by(self) -> Workload | None:
        """The workload whose Dockerfile builds this one's image (itself, or its image_of source)."""
        if self.build is not None:
            return self
        source = self.image_source
        return source if source is not None and source.build is not None else None

    # ------------------------------------------------------------------ the spec
    def ephemeral_storage(self) -> Memory:
        """Ephemeral storage of each container: its own share plus the emptyDirs it mounts."""
        return spec.ephemeral_need(self.resources.ephemeral_storage, len(self.writable_paths),
                                   [v.source.size for v in self.volumes() if isinstance(v.source, spec.Scratch)])

    def referenced_secrets(self) -> set[str]:
        """The names of the Secrets its pods mount."""
        return {ref.name for ref in self.all_secrets().values()}

    def tls_secrets(self) -> set[str]:
        """The TLS Secrets of its Ingress (cert-manager issues into each)."""
        return set()

    def owned_secrets(self) -> set[SecretRef]:
        """The Secret keys whose value this workload defines itself (a database's passwords): the only ones
        `shipform secrets` may generate. Every other key comes from outside, and is asked for."""
        return set()

    def all_secrets(self) -> dict[str, SecretRef]:
        """Own secrets plus those its targets hand their clients; each becomes /run/secrets/<name>.<key>."""
        return self.secrets_with(self.targets(), self.secrets)

    def secrets_with(self, targets: Sequence[Workload | External | Broker],
                     own: Mapping[str, SecretRef]) -> dict[str, SecretRef]:
        """``own`` plus the secrets ``targets`` hand their clients (a migration's: its databases' and its own)."""
        client: dict[str, SecretRef] = {}
        if self.inject_connection_env:
            for target in sorted(targets, key=lambda t: t.name):
                client.update(target.client_secrets())
        return {**client, **own}

    def secret_files_spec(self) -> tuple[spec.SecretFile, ...]:
        owned = self.owned_secrets()
        return tuple(spec.SecretFile(n, r, owned=r in owned) for n, r in self.all_secrets().items())

    def config_spec(self) -> spec.Config | None:
        """The configuration with its files read now (ShipformError when one cannot be used)."""
        files = read_files(self.path, self.app.root, self.files)
        return config_spec(self.name, self.config, files, self.path)

    def env_spec(self, configured: spec.Config | None = None) -> tuple[spec.EnvVar, ...]:
        """Connection env, then the workload's own env and configuration, then ``<NAME>_FILE`` for every secret
        file; a later entry replaces an earlier one of the same name in its place."""
        return self.env_with(self.targets(), self.all_secrets(), configured)

    def env_with(self, targets: Sequence[Workload | External | Broker], secrets: Mapping[str, SecretRef],
                 configured: spec.Config | None) -> tuple[spec.EnvVar, ...]:
        """The env of a container of this workload that reaches ``targets`` and mounts ``secrets`` (see env_spec)."""
        # The OpenTelemetry SDKs' variables first: the workload's own env may replace any of them.
        merged = {var.name: var for var in otlp_env(self.telemetry(), self.name, self.namespace,
                                                    self.environment.name, self.app.version)}
        if self.inject_connection_env:
            for target in sorted(targets, key=lambda t: t.name):
                for var in target.client_env(self.ports_used_on(target)):
                    merged[var.name] = var
        for name, value in self.env.items():
            merged[name] = spec.EnvVar(name, spec.Plain(value))
        if configured is not None:
            for name, value in configured.values:
                merged[name] = spec.EnvVar(name, spec.FromConfig(configured.name, name, value))
        for name, ref in secrets.items():
            merged[f"{name}_FILE"] = spec.EnvVar(f"{name}_FILE", spec.Plain(f"/run/secrets/{ref.file_name}"))
        return tuple(merged.values())

    def telemetry(self) -> spec.Telemetry | None:
        return self.environment.telemetry if self.reports_telemetry else None

    def run_spec(self) -> spec.Run:
        raise NotImplementedError

    def to_spec(self, clients: Sequence[Workload] | None = None) -> spec.Workload:
        """The workload's spec; ``clients`` (the workloads that connect to it, in the Environment's order) saves
        a scan of the Environment when the caller has them indexed."""
        if clients is None:
            clients = [c for c in self.environment.workloads if isinstance(c, Workload) and self in c.targets()]
        configured = self.config_spec()
        return spec.Workload(
            path=self.path, name=self.name, namespace=self.namespace, component=self.component,
            app=self.app.name, version=self.app.version, image=self.image, run=self.run_spec(),
            built=self._built_image(), build=self._image_build(),
            command=self.command_spec(), env=self.env_spec(configured),
            secret_files=self.secret_files_spec(), config=configured,
            ports=self.ports(), health=self.health, resources=self.resources,
            run_as_user=self.run_as_user, run_as_group=self.run_as_group, data_owner=self.data_owner(),
            read_only_root_filesystem=self.read_only_root_filesystem, writable_paths=tuple(self.writable_paths),
            volumes=self.volumes(), termination_grace_period_seconds=self.termination_grace_period_seconds,
            connects_to=tuple(t.endpoint(self.ports_used_on(t)) for t in self.targets()),
            clients=tuple(c.endpoint(c.ports_used_on(self)) for c in clients),
            waits_for=self.waits_for(), accepted_risks=self.accepted_risks(), facets=self.facet_specs(clients),
        )

    def facet_specs(self, clients: Sequence[Workload]) -> tuple[spec.Facet, ...]:
        """What the spec holds besides the core: what the kind's props and the Environment add (spec.facets)."""
        access, platform, egress = self.service_access(), self.platform_clients(clients), self.egress_to_internet()
        mesh = self.environment.mesh_of(self.namespace)
        found = (self.exposure(), self.scrape(), self.telemetry(), access if access.type != "ClusterIP" else None,
                 spec.InternetEgress(egress) if egress else None, spec.PlatformClients(platform) if platform else None,
                 mesh, proxy_metrics(mesh, self.environment.monitoring, self.run_spec(), self.serverless is not None),
                 self.placement(), *self.run_facets())
        return tuple(f for f in found if f is not None)

    def placement(self) -> spec.Placement | None:
        """The Environment's PriorityClass of its tier, where it renders them, and spot capacity."""
        return placement(self.app.name, self.environment, self.component, self.capacity, self.serverless is not None)

    def command_spec(self) -> tuple[str, ...] | None:
        """The process its containers run, or None for the image's own."""
        return tuple(self.command) if self.command else None

    def run_facets(self) -> tuple[spec.Facet, ...]:
        """What scales it, rolls it out or recommends its resources besides its run (a WebService's or Worker's)."""
        return ()

    def platform_clients(self, clients: Sequence[Workload]) -> tuple[spec.PlatformPeer, ...]:
        """KEDA's operator, where a client scales by a queue this workload holds (it reads the queue's length)."""
        keda = self.environment.keda
        if keda is None or not any(c.queue is not None and c.queue.on is self for c in clients):
            return ()
        return (replace(keda, ports=self.ports()[:1]),)

    def accepted_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        """Scanner findings this workload accepts on purpose: its own and those its targets hand it."""
        risks = list(self.own_risks())
        if self.inject_connection_env:
            for target in sorted(self.targets(), key=lambda t: t.name):
                risks += [r for r in target.client_risks() if r not in risks]
        return tuple(risks)

    def own_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        return self.stated_risks

    def client_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        """Risks a client of this workload takes on by connecting (e.g. a password in an env var)."""
        return ()

    def ports(self) -> tuple[spec.Port, ...]:
        return ()

    def service_users(self) -> ServiceUsers:
        return self.app.users

    def data_owner(self) -> tuple[int, int] | None:
        """The UID:GID owning the image's data folder, where it is not run_as_user's (spec.Workload.data_owner): the
        image's builder's user when this workload runs another's image and mounts a volume (the image creates the
        folder owned by that user, and a fresh compose volume takes its owner)."""
        source = self.built_by
        if source is None or source is self or not any(isinstance(v.source, spec.Claim) for v in self.volumes()):
            return None
        return source.run_as_user, source.run_as_group

    def volumes(self) -> tuple[spec.Volume, ...]:
        return ()

    def scrape(self) -> spec.Scrape | None:
        """How Prometheus scrapes it, where the Environment is monitored (WebService)."""
        return None

    def exposure(self) -> spec.Exposure | None:
        return None

    def service_access(self) -> spec.ServiceAccess:
        return spec.ServiceAccess()

    def egress_to_internet(self) -> tuple[spec.EgressToInternet, ...]:
        return ()

    def waits_for(self) -> tuple[str, ...]:
        return ()

    def _built_image(self) -> spec.BuiltImage | None:
        builder = self.built_by
        if builder is None or builder.build is None:
            return None
        own = builder.build.dockerfile_path
        return spec.BuiltImage(builder.name, (self.app.root / builder.build.context).resolve(),
                               (self.app.root / own).resolve() if own else None)

    def _image_build(self) -> spec.ImageBuild | None:
        if self.build is None:
            return None
        command = self.command or self.build.command or self.build.preset_spec.default_command
        return self.build.to_spec(self.path, self.app.root, tuple(command), f"{self.app.name}-{self.name}",
                                  self.app.version, self.app.base_registry)
