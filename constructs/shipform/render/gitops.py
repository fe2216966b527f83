"""What points Argo CD or Flux at each Environment's folder: an Argo CD Application, or a Flux
GitRepository and Kustomization, under ``gitops/``. They are applied once (or by an app of apps); from
then on the controller keeps the cluster equal to the committed folder: it prunes what was removed and
undoes changes made by hand (self-heal)."""

from __future__ import annotations

import posixpath
from typing import Any

from shipform import spec
from shipform.render.k8s import JOBS_FOLDER, is_one_off_job
from shipform.render.objects import file_name
from shipform.render.output import Context
from shipform.spec.manifest import Manifest
from shipform.write.yaml_dump import dump

SYNC_INTERVAL = "5m"
SYNC_TIMEOUT = "15m"


def argocd_application(app: spec.App, env: spec.Environment, source: spec.GitSource, path: str) -> Manifest:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": f"{app.name}-{env.name}", "namespace": env.gitops_namespace,
                     "labels": spec.shipform_labels(app.name),
                     # Deleting the Application deletes what it deployed, not only the Application.
                     "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {
            "project": "default",
            "source": {"repoURL": source.url, "targetRevision": source.branch, "path": path},
            "destination": {"server": "https://kubernetes.default.svc"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                # Apply in waves (see the sync-wave annotations); prune only once the new objects are healthy.
                "syncOptions": ["PruneLast=true", "ServerSideApply=true"],
                "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
            },
        },
    }


def flux_objects(app: spec.App, env: spec.Environment, source: spec.GitSource, path: str,
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


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``gitops/<tool>/<kind>-<namespace>-<name>.yaml`` per object, when the App names its repository."""
    if app.repository is None:
        return {}
    result: dict[str, str] = {}
    for env in app.environments:
        path = posixpath.normpath(f"{context.repository_path}/k8s/{env.name}")
        if env.gitops == "kubectl":
            continue  # a deploy workflow applies it (see workflows)
        objects = [argocd_application(app, env, app.repository, path)] if env.gitops == "argocd" \
            else flux_objects(app, env, app.repository, path,
                              any(is_one_off_job(m) for m in context.manifests[env.name]))
        for manifest in objects:
            result[f"gitops/{env.gitops}/{file_name(manifest)}"] = context.marker + dump(manifest)
    return result
