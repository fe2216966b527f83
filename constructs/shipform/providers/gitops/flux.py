"""Flux: a GitRepository and a Kustomization per Environment that apply its folder, prune and wait for health, as a
ServiceAccount allowed exactly what the output holds (flux_rbac). Flux has no waves or hooks: one-off Jobs go to a
folder of their own, which a second Kustomization applies only once the first is ready (databases and all);
migrations run in init containers. The image policies go to a folder whose Kustomization (as the same account) the
first depends on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipform import spec
from shipform.providers.gitops.flux_rbac import account, rbac_objects
from shipform.providers.gitops.protocol import JOBS_FOLDER, Placed, annotated, holds_data, protected
from shipform.providers.gitops.scope import default_namespace, scope_of
from shipform.spec.manifest import Manifest

ADMISSION_FOLDER = "admission"
"""Flux dry-runs a stage's objects together before applying any: a Deployment refused by policy-controller for want
of the policy applied in the same stage would refuse the policy too, at every retry. The policies go first, by a
Kustomization of their own that the Environment's depends on."""
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
    admission_folder = ADMISSION_FOLDER
    destinations = ("name",)
    destination_note = ("Flux applies to the cluster it runs in (shipform renders no kubeConfig Secret for "
                        "reaching another)")
    destination_fix = ("name the cluster instead, e.g. Destination(name='prod'): the Environment's Flux objects "
                       "then go to gitops/flux/prod/, to apply in that cluster, whose own Flux applies it")

    def folder(self, env: spec.Environment) -> str:
        return env.destination.name or ""

    def order(self, objects: Sequence[Placed]) -> list[Manifest]:
        return [protected(o.manifest, KEEP) if holds_data(o.manifest)
                else annotated(o, FORCE) if o.manifest.get("kind") == "Job" and o.phase != "foundation"
                else o.manifest for o in objects]

    def controller_objects(self, app: spec.App, env: spec.Environment, source: spec.GitSource, path: str,
                           has_jobs: bool, objects: Sequence[Manifest]) -> list[Manifest]:
        meta: dict[str, Any] = {"namespace": env.gitops_namespace, "labels": spec.shipform_labels(app.name)}
        login = {} if source.secret is None else {"secretRef": {"name": source.secret}}
        repository: Manifest = {
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": app.name, **meta},
            "spec": {"interval": SYNC_INTERVAL, "url": flux_url(source.url), "ref": {"branch": source.branch}, **login},
        }
        kustomization: Manifest = {
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": f"{app.name}-{env.name}", **meta},
            "spec": {
                "interval": SYNC_INTERVAL, "path": f"./{path}", "prune": True,
                # Wait until everything is ready (databases before the rollout counts as done); retry on failure.
                "wait": True, "timeout": SYNC_TIMEOUT, "retryInterval": "1m",
                "sourceRef": {"kind": "GitRepository", "name": app.name},
                # Applied as this account, not as the controller (which may change anything in the cluster).
                "serviceAccountName": account(app, env),
            },
        }
        rbac = rbac_objects(app, env, scope_of(objects, default_namespace(app, env)), objects)
        applied = [repository, kustomization]
        if env.verifies_images:  # the image policies first, by a Kustomization of their own (as the same account)
            name = f"{app.name}-{env.name}-admission"
            admission = {**kustomization, "metadata": {"name": name, **meta},
                         "spec": {**kustomization["spec"], "path": f"./{path}/{ADMISSION_FOLDER}"}}
            kustomization["spec"] = {**kustomization["spec"], "dependsOn": [{"name": name}]}
            applied = [repository, admission, kustomization]
        if not has_jobs:
            return [*applied, *rbac]
        jobs = {**kustomization, "metadata": {"name": f"{app.name}-{env.name}-jobs", **meta}, "spec": {
            **kustomization["spec"], "path": f"./{path}/{JOBS_FOLDER}",
            # One-off Jobs run once the rest is applied and healthy: databases and services are up.
            "dependsOn": [{"name": f"{app.name}-{env.name}"}]}}
        return [*applied, jobs, *rbac]


def flux_url(url: str) -> str:
    """The URL as Flux reads it: http(s):// or ssh:// only, so git's scp-like 'git@host:path' becomes
    'ssh://git@host/path'."""
    if "://" in url:
        return url
    user_host, _, path = url.partition(":")
    return f"ssh://{user_host}/{path.lstrip('/')}"
