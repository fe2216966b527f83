"""Plain Kubernetes YAML per environment: every object of the spec, one file per object, plus a
kustomization.yaml listing them in apply order."""

from __future__ import annotations

from collections.abc import Sequence

from shipform import spec
from shipform.errors import ShipformError
from shipform.render.external_secrets import external_secrets
from shipform.render.monitoring import alert_rules
from shipform.render.namespaces import namespace_objects, resource_of
from shipform.render.objects import file_name, sort_key
from shipform.render.output import Context
from shipform.render.workloads import FOUNDATION_WAVE, wave, workload_objects
from shipform.spec.manifest import Manifest
from shipform.write.yaml_dump import dump


def environment_objects(env: spec.Environment, theirs: Sequence[Manifest] = ()) -> list[Manifest]:
    """Every object shipform renders for the Environment, in declaration order. ``theirs`` are the objects the
    Environment applies that shipform does not render (cdk8s objects, included manifests): a namespace's
    deployer Role may apply those too."""
    secrets = [in_wave(o, FOUNDATION_WAVE, env.gitops) for o in external_secrets(env)]
    deployed = [o for w in env.workloads for o in workload_objects(w, env.gitops, env.cilium)] + secrets + alerts(env)
    kinds: dict[str, set[tuple[str, str]]] = {}
    for o in [*deployed, *theirs]:
        namespace = (o.get("metadata") or {}).get("namespace")
        resource = resource_of(str(o.get("apiVersion", "")), str(o.get("kind", "")))
        if namespace and resource is not None:
            kinds.setdefault(namespace, set()).add(resource)
    namespaces = [in_wave(o, FOUNDATION_WAVE, env.gitops) for ns in env.namespaces
                  for o in namespace_objects(ns, kinds.get(ns.name, set()))]
    return namespaces + deployed


def alerts(env: spec.Environment) -> list[Manifest]:
    """A PrometheusRule per namespace that holds workloads, where prometheus-operator runs."""
    if env.monitoring is None:
        return []
    by_namespace: dict[str, list[spec.Workload]] = {}
    for w in env.workloads:
        by_namespace.setdefault(w.namespace, []).append(w)
    return [alert_rules(env, namespace, workloads) for namespace, workloads in sorted(by_namespace.items())]


def in_wave(manifest: Manifest, number: int, gitops: spec.GitOps) -> Manifest:
    """The manifest with the Argo CD sync wave it belongs to (nothing changes for Flux)."""
    order = wave(number, gitops)
    if not order:
        return manifest
    meta = manifest["metadata"]
    return {**manifest, "metadata": {**meta, "annotations": {**meta.get("annotations", {}), **order}}}


JOBS_FOLDER = "jobs"


def is_one_off_job(manifest: Manifest) -> bool:
    """A Job that is not an Argo CD hook: Flux applies these in a later step (see files())."""
    annotations = manifest.get("metadata", {}).get("annotations", {})
    return manifest.get("kind") == "Job" and "argocd.argoproj.io/hook" not in annotations


def environment_files(path: str, env_name: str, manifests: list[Manifest], marker: str,
                      jobs_apart: bool = False) -> dict[str, str]:
    """``k8s/<env>/<kind>-<namespace>-<name>.yaml`` per object, in apply order, and the kustomization; with
    ``jobs_apart`` one-off Jobs go to ``k8s/<env>/jobs/`` with a kustomization of their own."""
    folders: dict[str, dict[str, str]] = {"": {}, f"{JOBS_FOLDER}/": {}}
    seen: set[str] = set()
    for manifest in sorted(manifests, key=sort_key):
        name = file_name(manifest)
        if name in seen:
            raise ShipformError(path, "objects", "two objects render to the same kind, namespace and name",
                                name, "give one of the constructs a different id")
        seen.add(name)
        folder = f"{JOBS_FOLDER}/" if jobs_apart and is_one_off_job(manifest) else ""
        folders[folder][name] = marker + dump(manifest)
    result: dict[str, str] = {}
    for folder, files_in in folders.items():
        if not files_in and folder:
            continue
        kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                         "resources": list(files_in)}
        files_in["kustomization.yaml"] = marker + dump(kustomization)
        result.update({f"k8s/{env_name}/{folder}{name}": text for name, text in files_in.items()})
    return result


def files(app: spec.App, context: Context) -> dict[str, str]:
    """Flux has no waves: its one-off Jobs go to a folder of their own, which a second Flux Kustomization
    applies only once the first is healthy (databases and all)."""
    result: dict[str, str] = {}
    for env in app.environments:
        result.update(environment_files(f"{app.name}/{env.name}", env.name, context.manifests[env.name],
                                        context.marker, jobs_apart=env.gitops != "argocd"))
    return result
