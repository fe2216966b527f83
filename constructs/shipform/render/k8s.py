"""Plain Kubernetes YAML per environment: every object of the Environment, one file per object, plus a
kustomization.yaml listing them in apply order; where the Environment's GitOps provider keeps one-off Jobs apart,
those go to a folder of their own with a kustomization of their own."""

from __future__ import annotations

from shipform import spec
from shipform.errors import ShipformError
from shipform.providers.gitops import GITOPS
from shipform.providers.gitops.protocol import is_image_policy, is_one_off_job
from shipform.render.objects import file_name, sort_key
from shipform.render.output import Context
from shipform.spec.manifest import Manifest
from shipform.write.yaml_dump import dump


def environment_files(path: str, env_name: str, manifests: list[Manifest], marker: str,
                      jobs_folder: str | None = None, admission_folder: str | None = None) -> dict[str, str]:
    """``k8s/<env>/<kind>-<namespace>-<name>.yaml`` per object, in apply order, and the kustomization; with
    ``jobs_folder`` one-off Jobs go to ``k8s/<env>/<jobs_folder>/`` with a kustomization of their own, with
    ``admission_folder`` the image policies to ``k8s/<env>/<admission_folder>/``."""
    apart = f"{jobs_folder}/" if jobs_folder else None
    first = f"{admission_folder}/" if admission_folder else None
    folders: dict[str, dict[str, str]] = {"": {}, **({apart: {}} if apart else {}), **({first: {}} if first else {})}
    seen: set[str] = set()
    for manifest in sorted(manifests, key=sort_key):
        name = file_name(manifest)
        if name in seen:
            raise ShipformError(path, "objects", "two objects render to the same kind, namespace and name",
                                name, "give one of the constructs a different id")
        seen.add(name)
        folder = apart if apart and is_one_off_job(manifest) else first if first and is_image_policy(manifest) else ""
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
    result: dict[str, str] = {}
    for env in app.environments:
        result.update(environment_files(f"{app.name}/{env.name}", env.name, context.manifests[env.name],
                                        context.marker, GITOPS[env.gitops].jobs_folder,
                                        GITOPS[env.gitops].admission_folder))
    return result
