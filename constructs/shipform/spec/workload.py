"""What a workload is, for every output: a small core (identity, image, command, env, secrets, configuration,
resources, health, ports, volumes, security context, connections, how it runs) plus its facets (an exposure, a
scaler, a mesh, ...: spec.facets), each found by its type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from shipform.spec.env import EnvVar, FromSecret, Platform, SecretFile
from shipform.spec.facet import Facet, index_facets
from shipform.spec.image import BuiltImage, ImageBuild
from shipform.spec.labels import selector
from shipform.spec.network import Endpoint, Port
from shipform.spec.run import Run, Scheduled, ToCompletion
from shipform.spec.storage import Config, Scratch, Volume, ephemeral_need
from shipform.values.health import Health
from shipform.values.quantity import Memory
from shipform.values.resources import ComputeResources
from shipform.values.secret_ref import SecretRef

F = TypeVar("F")


@dataclass(frozen=True)
class AcceptedRisk:
    """A scanner finding the app accepts on purpose, with the reason, written where the scanner reads it."""

    check: str
    """The scanner's check id, e.g. checkov's 'CKV_K8S_35'."""
    reason: str


@dataclass(frozen=True)
class Workload:
    """One workload, complete: every output renders from this and nothing else."""

    path: str
    name: str
    namespace: str
    component: str
    app: str
    version: str
    image: str
    run: Run
    built: BuiltImage | None = None
    """Set when the image is built from source (by this workload's Dockerfile or, with image_of, another's)."""
    build: ImageBuild | None = None
    command: tuple[str, ...] | None = None
    env: tuple[EnvVar, ...] = ()
    secret_files: tuple[SecretFile, ...] = ()
    config: Config | None = None
    ports: tuple[Port, ...] = ()
    health: Health | None = None
    resources: ComputeResources | None = None
    run_as_user: int = 10001
    run_as_group: int = 10001
    data_owner: tuple[int, int] | None = None
    """UID:GID that owns the image's data folder when it is not the process's own (an official database image):
    Kubernetes hands the volume to the process by fsGroup, a runtime without fsGroup runs the process as this."""
    read_only_root_filesystem: bool = True
    writable_paths: tuple[str, ...] = ()
    volumes: tuple[Volume, ...] = ()
    termination_grace_period_seconds: int = 30
    connects_to: tuple[Endpoint, ...] = ()
    clients: tuple[Endpoint, ...] = ()
    waits_for: tuple[str, ...] = ()
    """One-off workloads that must complete before this one starts (its migration)."""
    accepted_risks: tuple[AcceptedRisk, ...] = ()
    facets: tuple[Facet, ...] = ()
    """What the workload has besides its core (spec.facets), at most one of each type and category."""
    pods: tuple[tuple[str, str], ...] = ()
    """The labels its pods are picked by where an operator makes them (CloudNativePG: ``cnpg.io/cluster``); empty:
    shipform's own selector."""
    _facets: dict[type, Facet] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_facets", index_facets(self.facets))

    def facet(self, kind: type[F]) -> F | None:
        """The workload's facet of type (or category) ``kind``, or None: ``w.facet(spec.Exposure)``."""
        found = self._facets.get(kind)
        return found  # type: ignore[return-value]  # indexed by its own type and categories: found is a kind

    @property
    def port(self) -> int | None:
        return self.ports[0].number if self.ports else None

    @property
    def health_port(self) -> Port | None:
        """The port the health check uses: the one it names, for gRPC the first port named grpc*, else the main
        one."""
        if self.health is None or not self.ports:
            return None
        named = [p for p in self.ports if p.name == self.health.port]
        if named:
            return named[0]
        if self.health.kind == "grpc":
            return next((p for p in self.ports if p.name.startswith("grpc")), self.ports[0])
        return self.ports[0]

    @property
    def selector(self) -> dict[str, str]:
        return dict(self.pods) if self.pods else selector(self.app, self.name)

    @property
    def labels(self) -> dict[str, str]:
        return {**selector(self.app, self.name), "app.kubernetes.io/component": self.component,
                "app.kubernetes.io/managed-by": "shipform", "app.kubernetes.io/version": self.version}

    @property
    def job(self) -> ToCompletion | None:
        """What one run does, for workloads that run to completion (a Job, or each run of a CronJob)."""
        if isinstance(self.run, Scheduled):
            return self.run.job
        return self.run if isinstance(self.run, ToCompletion) else None

    @property
    def ephemeral_storage(self) -> Memory:
        assert self.resources is not None
        return ephemeral_need(self.resources.ephemeral_storage, len(self.writable_paths),
                              [v.source.size for v in self.volumes if isinstance(v.source, Scratch)])

    @property
    def every_secret_file(self) -> tuple[SecretFile, ...]:
        """The Secret keys any container of the workload mounts: its own and those of its other steps."""
        steps = self.job.steps if self.job is not None else ()
        return self.secret_files + tuple(f for step in steps for f in step.secret_files)

    @property
    def every_secret_ref(self) -> tuple[SecretRef, ...]:
        """Every Secret key its objects name: those its containers mount or read into env vars, and those its facets
        hand a component of the platform (KEDA's TriggerAuthentication), which must exist in its namespace as well."""
        env = tuple(v.value.ref for v in self.env if isinstance(v.value, FromSecret))
        return (tuple(f.ref for f in self.every_secret_file) + tuple(r for f in self.facets for r in f.secret_refs())
                + tuple(r for r in env if r not in {f.ref for f in self.every_secret_file}))

    def env_for(self, platform: Platform) -> tuple[EnvVar, ...]:
        return tuple(v for v in self.env if platform in v.platforms)
