"""Flux: a GitRepository and a Kustomization per Environment that apply its folder, prune and wait for health.
Flux has no waves or hooks: one-off Jobs go to a folder of their own, which a second Kustomization applies only
once the first is ready (databases and all); migrations run in init containers. The image policies go to a folder
whose Kustomization the first depends on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipform import spec
from shipform.providers.gitops.protocol import JOBS_FOLDER, Placed, annotated
from shipform.spec.manifest import Manifest

ADMISSION_FOLDER = "admission"
"""Flux dry-runs a stage's objects together before applying any: a Deployment refused by policy-controller for want
of the policy applied in the same stage would refuse the policy too, at every retry. The policies go first, by a
Kustomization of their own that the Environment's depends on."""
SYNC_INTERVAL = "5m"
SYNC_TIMEOUT = "15m"
FORCE = {"kustomize.toolkit.fluxcd.io/force": "enabled"}
"""A Job's pod template is immutable: a changed Job is replaced (deleted and created) on apply."""


class Flux:
    """Flux applies each Environment's folder from a GitRepository and a Kustomization that waits for health; one-off
    Jobs go to a second Kustomization that depends on the first."""

    name = "flux"
    default_namespace = "flux-system"
    hooks = False
    from_ci = False
    jobs_folder = JOBS_FOLDER
    admission_folder = ADMISSION_FOLDER

    def order(self, objects: Sequence[Placed]) -> list[Manifest]:
        return [annotated(o, FORCE) if o.manifest.get("kind") == "Job" and o.phase != "foundation" else o.manifest
                for o in objects]

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
        applied = [repository, kustomization]
        if env.verifies_images:  # the image policies first, by a Kustomization of their own
            name = f"{app.name}-{env.name}-admission"
            admission = {**kustomization, "metadata": {"name": name, **meta},
                         "spec": {**kustomization["spec"], "path": f"./{path}/{ADMISSION_FOLDER}"}}
            kustomization["spec"] = {**kustomization["spec"], "dependsOn": [{"name": name}]}
            applied = [repository, admission, kustomization]
        if not has_jobs:
            return applied
        jobs = {**kustomization, "metadata": {"name": f"{app.name}-{env.name}-jobs", **meta}, "spec": {
            **kustomization["spec"], "path": f"./{path}/{JOBS_FOLDER}",
            # One-off Jobs run once the rest is applied and healthy: databases and services are up.
            "dependsOn": [{"name": f"{app.name}-{env.name}"}]}}
        return [*applied, jobs]
