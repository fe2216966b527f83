"""Environments without a GitOps controller (gitops='kubectl'): the record Environment (the first) is deployed by
a job of the build, right after the digests are recorded (a push made with the workflow's own token starts no
workflow); every other one by a workflow of its own on a push to its folder on the default branch, or by hand
from the default branch. Each namespace is an ApplySet, so what leaves the app leaves the cluster; rollouts are
awaited per workload found by a namespace-scoped read."""

from __future__ import annotations

import shlex
from typing import Any

from shipform import spec
from shipform.providers.gitops.protocol import JOBS_FOLDER, is_one_off_job
from shipform.render.actions import Step, uses
from shipform.render.objects import file_name, sort_key
from shipform.render.output import Context
from shipform.render.registries import cluster_login
from shipform.render.workflow_common import Job, checkout, job, workflow
from shipform.spec.manifest import Manifest

APPLY = "kubectl apply --server-side --field-manager=shipform"
WORKLOADS = "deployments,statefulsets,daemonsets"
PART_OF = "app.kubernetes.io/part-of"


def deploys(app: spec.App, context: Context, built: bool) -> dict[str, dict[str, Any]]:
    """``deploy-<env>`` workflows: every kubectl Environment's, but the record Environment's when the build deploys
    it."""
    return {f"deploy-{env.name}": deploy_workflow(app, context, env) for env in app.environments
            if env.cluster is not None and not (env is app.record_environment and built)}


def first_deploy_job(app: spec.App, context: Context, ref: str) -> Job | None:
    """The build's job that deploys the record Environment at ``ref`` (the commit the record job pushed), in a
    build of the default branch: a release tag's build names images the branch's build deployed already."""
    env = app.record_environment
    if env is None or env.cluster is None:
        return None
    return deploy_job(app, context, env, ref, needs="record", **{"if": "github.ref_type == 'branch'"},
                      concurrency={"group": f"{app.name}-deploy-{env.name}", "cancel-in-progress": False})


def deploy_workflow(app: spec.App, context: Context, env: spec.Environment) -> dict[str, Any]:
    folder = f"{context.repository_path}/k8s/{env.name}"
    on: dict[str, Any] = {"push": {"branches": [context.branch], "paths": [f"{folder}/**"]}, "workflow_dispatch": {}}
    jobs = {"deploy": deploy_job(app, context, env, None, **{"if": f"github.ref == 'refs/heads/{context.branch}'"})}
    return workflow(f"{app.name} deploy {env.name}", on, jobs, f"{app.name}-deploy-{env.name}")


def deploy_job(app: spec.App, context: Context, env: spec.Environment, ref: str | None, **extra: Any) -> Job:
    """Through the GitHub environment of the same name (its protection rules and reviewers gate the deploy) and
    the cloud's OIDC login."""
    assert env.cluster is not None
    folder = f"{context.repository_path}/k8s/{env.name}"
    steps: list[Step] = [
        checkout(ref), *cluster_login(env.cluster),
        {"name": "Install kubectl", **uses("setup-kubectl", version=env.cluster.kubectl_version)},
        {"name": f"Apply {folder}", "env": {"KUBECTL_APPLYSET": "true"},
         "run": deploy_script(app.name, env.name, folder, context.manifests[env.name])}]
    return job(f"Deploy {env.name}", steps, {"contents": "read", "id-token": "write"}, timeout=30,
               environment=env.name, **extra)


def deploy_script(app: str, env: str, folder: str, manifests: list[Manifest]) -> str:
    """Cluster-scoped objects first (the namespaces; applied, never pruned), then the claims (applied, never
    pruned: a volume that leaves the app keeps its data; applied without the ApplySet, they also leave one an
    earlier version made), then each namespace's other objects as one ApplySet (kubectl prunes what left it;
    kubectl's ApplySets cannot span namespaces with a namespaced parent), the rollouts, then the one-off Jobs as
    an ApplySet of their own: a changed Job is replaced (its pod template is immutable), an unchanged one stays
    and does not run again."""
    later = [m for m in manifests if is_one_off_job(m)]
    now = [m for m in manifests if not is_one_off_job(m)]
    script = [f"cd {shlex.quote(folder)}"]
    cluster = [file_name(m) for m in sorted(now, key=sort_key) if not _namespace(m)]
    if cluster:
        script.append(f"{APPLY} {_files(cluster)}")
    claims = [m for m in now if m.get("kind") == "PersistentVolumeClaim"]
    for namespace, names in _by_namespace(claims).items():
        script.append(f"{APPLY} -n {shlex.quote(namespace)} {_files(names)}")
    namespaces = _by_namespace([m for m in now if m.get("kind") != "PersistentVolumeClaim"])
    for namespace, names in namespaces.items():
        script.append(f"{APPLY} --prune --applyset={_applyset(app, env)} -n {shlex.quote(namespace)} {_files(names)}")
    script.append(_rollouts(app, list(namespaces)))
    for namespace, names in _by_namespace(later).items():
        files = _files([f"{JOBS_FOLDER}/{n}" for n in names])
        applyset = f"--prune --applyset={_applyset(app, env)}-jobs -n {shlex.quote(namespace)}"
        script.append(f"{APPLY} {applyset} {files} || {{ kubectl replace --force {files} && "
                      f"{APPLY} {applyset} {files}; }}")
    return "\n".join(script)


def _namespace(manifest: Manifest) -> str | None:
    namespace = (manifest.get("metadata") or {}).get("namespace")
    return namespace if isinstance(namespace, str) else None


def _by_namespace(manifests: list[Manifest]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for manifest in sorted(manifests, key=sort_key):
        namespace = _namespace(manifest)
        if namespace:
            grouped.setdefault(namespace, []).append(file_name(manifest))
    return dict(sorted(grouped.items()))


def _files(names: list[str]) -> str:
    """``-f <file>`` per file, one a line (a continued command)."""
    return " \\\n  ".join(f"-f {shlex.quote(n)}" for n in names)


def _applyset(app: str, env: str) -> str:
    """The ApplySet's parent: a Secret named after the app and the Environment in each namespace."""
    return f"shipform-{app}-{env}"


def _rollouts(app: str, namespaces: list[str]) -> str:
    """Each workload the app has in each namespace, found by a namespace-scoped read (``kubectl wait -l`` fails
    on an app without that kind), until its rollout completes."""
    quoted = " ".join(shlex.quote(n) for n in namespaces)
    return "\n".join([
        f"for namespace in {quoted}; do",
        f"  for workload in $(kubectl get {WORKLOADS} -n \"$namespace\" -l {PART_OF}={app} -o name); do",
        '    kubectl rollout status -n "$namespace" "$workload" --timeout=15m',
        "  done",
        "done"])
