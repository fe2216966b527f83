"""Migration: a schema migration that must finish before a new version of a WebService serves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.broker import Broker
from shipform.model.external import External
from shipform.model.job import Job
from shipform.model.placement import placement
from shipform.model.workload import Workload
from shipform.providers.gitops import GITOPS
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.resources import Resources
from shipform.values.secret_ref import SecretRef
from shipform.values.value_object import value_object

DATABASES = "a StatefulDB, or an External with engine=, other than redis"
"""What a migration reaches: a server with named databases (a redis cache or queue holds no schema)."""


@value_object
@dataclass(frozen=True)
class Migration:
    """``WebService(..., migrate=Migration(["python", "-m", "migrate"]))`` runs the command with the
    service's image, env and configuration before the new version serves, and with least privilege: it
    reaches its service's database only (a StatefulDB or an External with ``engine``, never a cache, queue or
    other service) and gets none of the service's own secrets, unless ``connects_to`` and ``secrets`` say
    otherwise:

    - Argo CD (``Environment(gitops="argocd")``, the default): a Job ``<service>-migrate`` with a
      PreSync hook, so Argo CD runs it to completion before it syncs the Deployment.
    - Flux (``gitops="flux"``): an init container of the Deployment, since Flux has no hooks; every new
      pod migrates first, so the command must be idempotent and take its own lock. (It shares the pod, so it
      has the service's secrets and network.)
    - compose: a one-shot service the web service ``depends_on`` with ``service_completed_successfully``, with
      the database's connection and secrets only.
    """

    command: Sequence[str]
    """The migration's process (exec form), run in the service's image."""
    backoff_limit: int = 1
    """Default: 1. Retries before the migration (and so the rollout) fails."""
    active_deadline_seconds: int = 600
    """Default: 600. The migration is stopped after this long."""
    resources: Resources | None = None
    """Default: the service's resources."""
    connects_to: Sequence[Workload | External] | None = None
    """Default: None, meaning the service's database: the one StatefulDB or External with ``engine`` (redis
    aside) among its ``connects_to``, also one added later. Where the service has several, the databases it
    migrates, e.g. ``[db]`` (each one of the service's); ``[]`` for none."""
    secrets: Mapping[str, SecretRef] | None = None
    """Default: None, meaning none of the service's own secrets (the databases' credentials come with them)."""
    prop_example: ClassVar[str] = "Migration(['python', '-m', 'migrate'])"

    def attach(self, service: Workload) -> Job | None:
        """The migration Job of ``service`` (a WebService), or None where the service's pods migrate in an init
        container instead."""
        check_fields(service.path, "migrate", self)
        checks.command(service.path, "migrate.command", self.command)
        if not GITOPS[service.environment.gitops].hooks:
            return None
        job = MigrationJob(service.scope, f"{service.id}-migrate", name=f"{service.name}-migrate", image_of=service,
                           command=list(self.command), env=service.env, secrets=dict(self.secrets or {}),
                           config=service.config, files=service.files,
                           connects_to=list(self.connects_to) if self.connects_to is not None else [],
                           resources=self.resources or service.resource_props, backoff_limit=self.backoff_limit,
                           active_deadline_seconds=self.active_deadline_seconds, pre_sync_hook=True)
        job.migration, job.service = self, service
        job.uid_of = service  # the service's own code, in its image: its user
        if self.connects_to is None:  # the service's own list, so later additions count
            job.connects_to = service.connects_to
        job.named_after = service  # a name too long for the Job is the service's id or name
        return job

    def databases(self, service: Workload) -> list[Workload | External]:
        """What the migration reaches: the databases it names, else those of its service."""
        named = service.targets() if self.connects_to is None else list(dict.fromkeys(self.connects_to))
        return [t for t in named if not isinstance(t, Broker) and t.is_database]

    def problems(self, service: Workload) -> list[ShipformError]:
        """A named server that is no database of the service; else no database, or more than one, to choose."""
        if self.connects_to is not None:
            refused = ((t, _not_a_database(service, t)) for t in self.connects_to)
            return [ShipformError(service.path, "migrate.connects_to", why[0], t.path, why[1])
                    for t, why in refused if why is not None]
        candidates, servers = self.databases(service), service.targets()
        if len(candidates) > 1:
            return [ShipformError(service.path, "migrate", f"has {len(candidates)} databases to choose from",
                                  [t.path for t in candidates], "name the ones it migrates, e.g. Migration([...], "
                                  f"connects_to=[{candidates[0].name}])")]
        if not candidates and servers:
            return [ShipformError(service.path, "migrate", f"finds no database ({DATABASES}) among what the service "
                                  "connects to, so it would reach none of them", [t.path for t in servers],
                                  "give the External that is the database engine='postgres' (or the engine it "
                                  "runs), or pass Migration(..., connects_to=[]) for a migration that reaches none")]
        return []

    def pre_start(self, service: Workload, configured: spec.Config | None) -> spec.PreStart:
        """The migration as every new pod of ``service`` runs it first (no hooks): locally a one-shot service that
        reaches the databases with their secrets and the migration's own, nothing else of the service's."""
        targets = self.databases(service)
        secrets = service.secrets_with(targets, dict(self.secrets or {}))
        return spec.PreStart(tuple(self.command), service.env_with(targets, secrets, configured),
                             tuple(spec.SecretFile(name, ref) for name, ref in secrets.items()),
                             tuple(t.endpoint(service.ports_used_on(t)) for t in targets))


def _not_a_database(service: Workload, target: Workload | External) -> tuple[str, str] | None:
    """Why a server named in migrate.connects_to is not one the migration may reach, and the fix."""
    if not target.is_database:
        return (f"names a server that is no database ({DATABASES}): a migration reaches databases only",
                "drop it; a migration gets no cache's, queue's or service's connection")
    if target not in service.targets():
        return ("names a database the service does not connect to",
                f"add it to the connects_to of {service.path}, or drop it")
    return None


class MigrationJob(Job):
    """A service's migration Job: it reaches what the migration names, else the service's databases (also those
    added later), and nothing else of what the service connects to."""

    migration: Migration
    service: Workload

    def targets(self) -> list[Workload | External | Broker]:
        return list(self.migration.databases(self.service))

    def placement(self) -> spec.Placement | None:
        """Its service's tier: the new version waits for it, so it must not wait behind the background."""
        return placement(self.app.name, self.environment, self.service.component, self.capacity,
                         self.serverless is not None)
