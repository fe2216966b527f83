"""Plain Kubernetes YAML per environment: every object of the spec, one file per object, plus a
kustomization.yaml listing them in apply order."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.errors import ShipformError
from shipform.render.external_secrets import external_secrets
from shipform.render.namespaces import namespace_objects
from shipform.render.objects import file_name, sort_key
from shipform.render.output import Context
from shipform.render.workloads import workload_objects
from shipform.write.yaml_dump import dump

Manifest = dict[str, Any]


def environment_objects(env: spec.Environment) -> list[Manifest]:
    """Every object shipform renders for the Environment, in declaration order."""
    deployed = [o for w in env.workloads for o in workload_objects(w)] + external_secrets(env)
    kinds: dict[str, set[str]] = {}
    for o in deployed:
        kinds.setdefault(o["metadata"]["namespace"], set()).add(o["kind"])
    return [o for ns in env.namespaces for o in namespace_objects(ns, kinds.get(ns.name, set()))] + deployed


def environment_files(path: str, env_name: str, manifests: list[Manifest], marker: str) -> dict[str, str]:
    """``k8s/<env>/<kind>-<namespace>-<name>.yaml`` per object, in apply order, and the kustomization."""
    files: dict[str, str] = {}
    for manifest in sorted(manifests, key=sort_key):
        name = file_name(manifest)
        if name in files:
            raise ShipformError(path, "objects", "two objects render to the same kind, namespace and name",
                                name, "give one of the constructs a different id")
        files[name] = marker + dump(manifest)
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": list(files)}
    files["kustomization.yaml"] = marker + dump(kustomization)
    return {f"k8s/{env_name}/{name}": text for name, text in files.items()}


def files(app: spec.App, context: Context) -> dict[str, str]:
    result: dict[str, str] = {}
    for env in app.environments:
        result.update(environment_files(f"{app.name}/{env.name}", env.name, context.manifests[env.name],
                                        context.marker))
    return result
