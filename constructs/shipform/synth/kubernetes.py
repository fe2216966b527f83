"""An Environment's Kubernetes objects as cdk8s sees them: the foreign cdk8s objects of the chart, the
manifests it includes, then shipform's objects rendered from the spec, with the constructs' annotations,
labels and JSON patches applied."""

from __future__ import annotations

import copy
from typing import Any

import cdk8s
import jsonpatch
from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import namespace_of
from shipform.model.objects import KubeObject
from shipform.model.stage import Environment
from shipform.render.k8s import environment_objects, in_wave
from shipform.render.workloads import FOUNDATION_WAVE
from shipform.spec.manifest import Manifest


def _plain(value: Any) -> Any:
    """jsii hands foreign objects back as mapping proxies; make them plain, dumpable data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# Kinds without a namespace, among those a cdk8s app commonly makes (any kind named Cluster... is one too).
CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "PriorityClass",
    "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "GatewayClass", "VolumeSnapshotClass", "CertificateSigningRequest",
}


def _namespaced(manifest: Manifest) -> bool:
    kind = str(manifest.get("kind", ""))
    return kind not in CLUSTER_SCOPED and not kind.startswith("Cluster")


def foreign_manifests(env: Environment) -> list[Manifest]:
    """The chart's cdk8s objects (raw ApiObjects, cdk8s-plus constructs). One that names no namespace lands where a
    shipform construct created in the same place would: the namespace of the SecureNamespace (or workload) it was
    created in, else the Environment's default namespace."""
    manifests = [_plain(m) for m in cdk8s.Chart.to_json(env)]
    missing = [m for m in manifests if _namespaced(m) and not (m.get("metadata") or {}).get("namespace")]
    if not missing:
        return manifests
    where: dict[tuple[str, str], str] = {}
    for construct in env.node.find_all():  # only when needed: one jsii call per construct of the chart
        if isinstance(construct, cdk8s.ApiObject):
            scope = construct.node.scope
            if isinstance(scope, Construct):
                where[(construct.kind, construct.name)] = namespace_of(scope, env)
    for manifest in missing:
        meta = manifest.setdefault("metadata", {})
        namespace = where.get((str(manifest.get("kind")), str(meta.get("name"))), env.default_namespace)
        manifest["metadata"] = {"name": meta.get("name"), "namespace": namespace,
                                **{k: v for k, v in meta.items() if k not in ("name", "namespace")}}
    return manifests


def environment_manifests(env: Environment, env_spec: spec.Environment) -> list[Manifest]:
    # Objects shipform does not render (cdk8s objects of the chart, included manifests) are applied with the
    # foundations, before databases, migrations and workloads that may need them, unless they name a wave.
    theirs = [m if _has_wave(m) else in_wave(m, FOUNDATION_WAVE, env.gitops)
              for m in [*foreign_manifests(env), *env.included_manifests()]]
    rendered = environment_objects(env_spec, theirs)
    index = {_key(m): i for i, m in enumerate(rendered)}
    for handle in (o for member in env.members for o in member.objects):
        position = index.get(handle.key)
        if position is None:
            raise RuntimeError(f"shipform bug: {handle.owner_path} declares {handle.key} but nothing renders it")
        if handle.changed:
            rendered[position] = _patched(handle, _with_metadata(handle, rendered[position]))
    return [*theirs, *rendered]


def _has_wave(manifest: Manifest) -> bool:
    return "argocd.argoproj.io/sync-wave" in ((manifest.get("metadata") or {}).get("annotations") or {})


def _with_metadata(handle: KubeObject, manifest: Manifest) -> Manifest:
    """The handle's annotations and labels merged into the manifest's metadata (the maps made if missing)."""
    meta = dict(manifest.get("metadata") or {})
    for key, extra in (("labels", handle.labels), ("annotations", handle.annotations)):
        if extra:
            meta[key] = {**(meta.get(key) or {}), **extra}
    return {**manifest, "metadata": meta}


def _with_parents(manifest: Manifest, operations: list[dict[str, Any]]) -> Manifest:
    """A copy in which every map on the path of an ``add`` exists, so that adding to a map the rendered object
    does not have (annotations, a new section of spec) works as it does where the map is there."""
    result: Manifest = copy.deepcopy(manifest)
    for op in operations:
        if not isinstance(op, dict) or op.get("op") != "add" or not isinstance(op.get("path"), str):
            continue
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:-1]]
        node: Any = result
        for part in parts:
            if not isinstance(node, dict):
                break
            node = node.setdefault(part, {})
    return result


def _key(manifest: Manifest) -> tuple[str, str, str]:
    meta = manifest.get("metadata") or {}
    return manifest.get("kind", ""), meta.get("namespace") or "", meta.get("name", "")


def _patched(handle: KubeObject, manifest: Manifest) -> Manifest:
    if not handle.patches:
        return manifest
    try:
        result: Manifest = jsonpatch.apply_patch(_with_parents(manifest, handle.patches), handle.patches)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        raise ShipformError(f"{handle.owner_path}/{handle.kind}", "add_json_patch", f"does not apply: {err}",
                            handle.patches, "check the op and path against the rendered manifest") from None
    return result
