"""Plain Kubernetes YAML per environment: one file per object, plus a kustomization.yaml listing them
in apply order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shipform.errors import ShipformError
from shipform.outputs.objects import file_name, sort_key
from shipform.outputs.yaml_dump import dump

if TYPE_CHECKING:
    from shipform.app import Environment


def _plain(value: Any) -> Any:
    """jsii hands foreign objects back as mapping proxies; make them plain, dumpable data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def environment_files(env: Environment, marker: str) -> dict[str, str]:
    manifests = sorted((_plain(m) for m in env.to_json()), key=sort_key)
    files: dict[str, str] = {}
    for manifest in manifests:
        name = file_name(manifest)
        if name in files:
            raise ShipformError(env.path, "objects", "two objects render to the same kind, namespace and name",
                                name, "give one of the constructs a different id")
        files[name] = marker + dump(manifest)
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": list(files)}
    files["kustomization.yaml"] = marker + dump(kustomization)
    return {f"k8s/{env.name}/{name}": text for name, text in files.items()}
