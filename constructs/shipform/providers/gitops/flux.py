"""Flux: a GitRepository and a Kustomization per Environment that apply its folder, prune and wait for health.
Flux has no waves or hooks: one-off Jobs go to a folder of their own, which a second Kustomization applies only
once the first is ready (databases and all); migrations run in init containers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipform import spec
from shipform.providers.gitops.protocol import JOBS_FOLDER, Placed, annotated, holds_data, protected
from shipform.spec.manifest import Manifest

SYNC_INTERVAL = "5m"
SYNC_TIMEOUT = "15m"
FORCE = {"kustomize.toolkit.fluxcd.io/force": "enabled"}
"""A Job's pod template is immutable: a changed Job is replaced (deleted and created) on apply."""
KEEP = {"kustomize.toolkit.fluxcd.io/prune": "disabled"}
"""A claim is neither pruned when it leaves the folder nor deleted with its Kustomization: its data outlives both."""


class Flux:
    """Flux applies each Environment's folder from a GitRepository and a Kustomization that waits for health; one-off
    Jobs go to a second Kustomization that depends on the first."""

    name = "flux"
    default_namespace = "flux-system"
    hooks = False
    from_ci = False
    jobs_folder = JOBS_FOLDER

    def order(self, objects: Sequence[Placed]) -> list[Manifest]:
        return [protected(o.manifest, KEEP) if holds_data(o.manifest)
                else annotated(o, FORCE) if o.manifest.get("kind") == "Job" and o.phase != "foundation"
                else o.manifest for o in objects]

    def controller_objects(self, app: spec.App, env: spec.Environment, source: spec.GitSource, path: str,
                           has_jobs: bool) -> list[Manifest]:
        meta: dict[str, Any] = {"namespace": env.gitops_namespace, "labels": spec.shipform_labels(app.name)}
        repository: Manifest = {
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": app.name, **meta},
            "spec": {"interval": SYNC_INTERVAL, "url": source.url, "ref": {"branch": source.branch}},
        }
        kustomization: Manifest = {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": f"{app.name}-{env.name}", **meta},
            "spec": {
                "interval": SYNC_INTERVAL, "path": f"./{path}", "prune": True,
                # Wait until everything is ready (databases before the rollout counts as done); retry on failure.
                "wait": True, "timeout": SYNC_TIMEOUT, "retryInterval": "1m",
                "sourceRef": {"kind": "GitRepository", "name": app.name},
            },
        }
        if not has_jobs:
            return [repository, kustomization]
        jobs = {**kustomization, "metadata": {"name": f"{app.name}-{env.name}-jobs", **meta}, "spec": {
            **kustomization["spec"], "path": f"./{path}/{JOBS_FOLDER}",
            # One-off Jobs run once the rest is applied and healthy: databases and services are up.
            "dependsOn": [{"name": f"{app.name}-{env.name}"}]}}
        return [repository, kustomization, jobs]
