"""What a GitOps provider answers: how it orders an Environment's first sync, which objects point its controller at
the Environment's folder, and where one-off Jobs go.

Rendered objects are GitOps-neutral. Each object belongs to one phase of a first sync on an empty cluster (the
table is ``render.plan.PHASES``): the foundations every workload needs (namespaces, RBAC, policies, service
accounts, configuration, secrets, claims), then the databases, then the migrations, then the workloads. A
provider turns phases into its own mechanism (Argo CD's sync waves and hooks, Flux's dependent Kustomization)
in one step after rendering, once the constructs' patches and foreign objects are in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple, Protocol

from shipform import spec
from shipform.spec.manifest import Manifest

Phase = Literal["foundation", "data", "migration", "workload"]
"""When an object is applied in a first sync, earliest first."""

JOBS_FOLDER = "jobs"
"""The subfolder of an Environment's folder that holds its one-off Jobs where the provider keeps them apart."""


class Placed(NamedTuple):
    """An object of the Environment's output and the phase it belongs to (a tuple: there are thousands)."""

    manifest: Manifest
    phase: Phase
    leads: bool = True
    """Where the provider's annotations go among the object's own: first (the objects shipform renders for
    workloads) or after them (namespace objects, ExternalSecrets and objects shipform does not render)."""


class GitOpsProvider(Protocol):
    """One way of applying an Environment's committed folder to its cluster."""

    @property
    def name(self) -> str:
        """As ``Environment(gitops=...)`` spells it."""
        ...

    @property
    def default_namespace(self) -> str:
        """Where its controller's own objects (``gitops_namespace``) go unless the Environment says otherwise."""
        ...

    @property
    def hooks(self) -> bool:
        """Whether a sync runs Jobs to completion before it applies the workloads: migrations are then Jobs
        (else each new pod migrates first, in an init container)."""
        ...

    @property
    def from_ci(self) -> bool:
        """Whether CI applies the folder itself (a deploy workflow that needs the Environment's ``cluster``)."""
        ...

    @property
    def jobs_folder(self) -> str | None:
        """The subfolder one-off Jobs go to, applied only once everything else is healthy; None keeps them with
        the rest (ordered by the provider's own mechanism)."""
        ...

    @property
    def admission_folder(self) -> str | None:
        """The subfolder the Environment's image policies go to, applied before the rest (whose pods a policy
        admits); None keeps them with the rest, ordered by the provider's own mechanism."""
        ...

    @property
    def destinations(self) -> tuple[str, ...]:
        """The forms of ``Environment(destination=...)`` it applies to: 'name' and/or 'server' (none: CI deploys)."""
        ...

    @property
    def destination_note(self) -> str:
        """Why a form it lacks cannot be used (the refusal's reason)."""
        ...

    @property
    def destination_fix(self) -> str:
        """What to write instead (the refusal's fix)."""
        ...

    def folder(self, env: spec.Environment) -> str:
        """Where the Environment's controller objects go below ``gitops/<provider>/`` ('' for that folder itself):
        objects applied in different clusters go to different folders."""
        ...

    def order(self, objects: Sequence[Placed]) -> list[Manifest]:
        """The objects with what orders them under this provider (annotations), in the same order."""
        ...

    def controller_objects(self, app: spec.App, env: spec.Environment, source: spec.GitSource, path: str,
                           has_jobs: bool, objects: Sequence[Manifest]) -> list[Manifest]:
        """What points the controller at ``path`` in ``source`` (none where CI applies the folder), scoped to what
        the Environment's output holds (``objects``, as ordered); ``has_jobs`` when its folder has a jobs
        folder."""
        ...


def is_image_policy(manifest: Manifest) -> bool:
    """A ClusterImagePolicy of sigstore's policy-controller: where a provider keeps them apart, they go to its
    admission folder."""
    return manifest.get("kind") == "ClusterImagePolicy" and \
        str(manifest.get("apiVersion", "")).startswith("policy.sigstore.dev/")


def is_one_off_job(manifest: Manifest) -> bool:
    """A Job (run once per change of it, unlike a CronJob's): where a provider keeps them apart, they go to
    its jobs folder."""
    return manifest.get("kind") == "Job"


def annotated(placed: Placed, annotations: dict[str, str]) -> Manifest:
    """The object with ``annotations`` added where ``placed.leads`` says; an annotation the object already has
    (one a construct or a foreign object set) is kept as it is."""
    if not annotations:
        return placed.manifest
    meta = placed.manifest.get("metadata") or {}
    own = meta.get("annotations") or {}
    if placed.leads:
        merged = {**annotations, **own}
    else:
        merged = {**own, **{k: v for k, v in annotations.items() if k not in own}}
    return {**placed.manifest, "metadata": {**meta, "annotations": merged}}


def holds_data(manifest: Manifest) -> bool:
    """A PersistentVolumeClaim, or a StatefulSet with claim templates: what a controller's prune or cascade
    deletion would take the data with (shipform's claims, a database's, and those of objects it does not render)."""
    kind = manifest.get("kind")
    return kind == "PersistentVolumeClaim" or (
        kind == "StatefulSet" and bool((manifest.get("spec") or {}).get("volumeClaimTemplates")))


def protected(manifest: Manifest, annotations: dict[str, str]) -> Manifest:
    """A claim with ``annotations``, or a StatefulSet whose claim templates have them (the claims the StatefulSet
    controller makes copy its templates' annotations); an annotation the claim already has is kept."""
    def annotate(claim: Manifest) -> Manifest:
        meta = claim.get("metadata") or {}
        return {**claim, "metadata": {**meta, "annotations": {**annotations, **(meta.get("annotations") or {})}}}

    if manifest.get("kind") == "PersistentVolumeClaim":
        return annotate(manifest)
    body = manifest.get("spec") or {}
    return {**manifest, "spec": {**body, "volumeClaimTemplates": [annotate(t) for t in body["volumeClaimTemplates"]]}}
