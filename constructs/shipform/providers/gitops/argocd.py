"""Argo CD: an Application per Environment that syncs its folder, pruning and self-healing, in an AppProject of its
own that admits only the app's repository, the Environment's namespaces on its destination and the kinds its output
holds. A first sync applies the phases as sync waves (each healthy before the next) and runs migrations as Sync
hooks."""

from __future__ import annotations

from collections.abc import Sequence

from shipform import spec
from shipform.providers.gitops.protocol import Phase, Placed, annotated, holds_data, protected
from shipform.providers.gitops.scope import Scope, default_namespace, scope_of
from shipform.spec.manifest import Manifest

WAVE = "argocd.argoproj.io/sync-wave"
WAVES: dict[Phase, int | None] = {"foundation": -3, "data": -2, "migration": -1, "workload": None}
"""Argo CD waits for each wave to be healthy before the next (Jobs completed); wave 0 (no annotation) is last."""
SYNC_HOOK = {
    "argocd.argoproj.io/hook": "Sync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
}
"""A migration is re-created and run to completion on every sync, in its wave."""
REPLACE = {"argocd.argoproj.io/sync-options": "Force=true,Replace=true"}
"""A Job's pod template is immutable: a changed one-off Job is replaced (deleted and created)."""
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
KEEP = ("Prune=false", "Delete=false")
"""A claim is neither pruned when it leaves the folder (a renamed volume) nor deleted with the Application (whose
resources finalizer deletes what it deployed): its data outlives both."""
IGNORE_HEALTH = {"argocd.argoproj.io/ignore-healthcheck": "true"}
"""Argo CD reports a suspended CronJob (a restore, run only by hand) as Suspended, which would be the Application's
health for good: it does not count (Argo CD 3.0 and later)."""


class ArgoCD:
    """Argo CD applies each Environment's folder from an Application: sync waves order the first sync, migrations run
    as Sync hooks, and it prunes and self-heals."""

    name = "argocd"
    default_namespace = "argocd"
    hooks = True
    from_ci = False
    jobs_folder = None
    admission_folder = None
    destinations = ("name", "server")
    destination_note = ""
    destination_fix = ""

    def folder(self, env: spec.Environment) -> str:
        return ""  # Applications live in Argo CD's own cluster, whichever cluster they apply to

    def order(self, objects: Sequence[Placed]) -> list[Manifest]:
        return [self.keep(annotated(o, self.annotations(o))) for o in objects]

    @staticmethod
    def keep(manifest: Manifest) -> Manifest:
        """A claim (or a StatefulSet's claim templates) with Prune=false and Delete=false among its sync options:
        added to options the object already has, unless it sets Prune or Delete itself."""
        if not holds_data(manifest):
            return manifest
        if manifest.get("kind") == "PersistentVolumeClaim":
            own = ((manifest.get("metadata") or {}).get("annotations") or {}).get(SYNC_OPTIONS, "")
            options = [o.strip() for o in own.split(",") if o.strip()]
            named = {o.partition("=")[0] for o in options}
            options += [o for o in KEEP if o.partition("=")[0] not in named]
            meta = manifest.get("metadata") or {}
            return {**manifest, "metadata": {**meta, "annotations": {
                **(meta.get("annotations") or {}), SYNC_OPTIONS: ",".join(options)}}}
        return protected(manifest, {SYNC_OPTIONS: ",".join(KEEP)})

    @staticmethod
    def annotations(placed: Placed) -> dict[str, str]:
        wave = WAVES[placed.phase]
        order = {} if wave is None else {WAVE: str(wave)}
        if placed.manifest.get("kind") == "CronJob" and (placed.manifest.get("spec") or {}).get("suspend") is True:
            return {**order, **IGNORE_HEALTH}
        if placed.manifest.get("kind") != "Job" or placed.phase == "foundation":
            return order
        return {**SYNC_HOOK, **order} if placed.phase == "migration" else {**REPLACE, **order}

    def controller_objects(self, app: spec.App, env: spec.Environment, source: spec.GitSource, path: str,
                           has_jobs: bool, objects: Sequence[Manifest]) -> list[Manifest]:
        scope = scope_of(objects, default_namespace(app, env))
        return [project(app, env, source, scope), {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": f"{app.name}-{env.name}", "namespace": env.gitops_namespace,
                         "labels": spec.shipform_labels(app.name),
                         # Deleting the Application deletes what it deployed, not only the Application.
                         "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
            "spec": {
                "project": f"{app.name}-{env.name}",
                "source": {"repoURL": source.url, "targetRevision": source.branch, "path": path},
                # Argo CD admits the Application only if its destination namespace is one of the project's.
                "destination": {**env.destination.fields(), "namespace": scope.default_namespace},
                "syncPolicy": {
                    "automated": {"prune": True, "selfHeal": True},
                    # Apply in waves (see the sync-wave annotations); prune only once the new objects are healthy.
                    "syncOptions": ["PruneLast=true", "ServerSideApply=true"],
                    "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
                },
            },
        }]


def project(app: spec.App, env: spec.Environment, source: spec.GitSource, scope: Scope) -> Manifest:
    """The Environment's AppProject: a commit to its folder can deploy nothing beyond what the output holds today
    (another kind, a cluster-scoped object of another name, another namespace or cluster, another repository).
    One per Environment, so one Environment's folder cannot reach another's namespaces either."""
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": f"{app.name}-{env.name}", "namespace": env.gitops_namespace,
                     "labels": spec.shipform_labels(app.name)},
        "spec": {
            "description": f"What {app.name}'s Environment {env.name} deploys (generated by shipform)",
            "sourceRepos": [source.url],
            "destinations": [{**env.destination.fields(), "namespace": ns} for ns in scope.namespaced],
            # Argo CD 3.3 and later also match the name; earlier versions drop it and match the kind alone.
            "clusterResourceWhitelist": [{"group": g, "kind": k, "name": n} for g, k, n in sorted(scope.cluster)],
            "namespaceResourceWhitelist": [{"group": g, "kind": k} for g, k in sorted(scope.namespaced_kinds)],
        },
    }
