"""The constructs' handles (``api.deployment``) resolved against the plan at synth time: what they change is
checked and applied to the planned objects of their role, and a change to an object a construct does not have
is an error that says why it has none."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import jsonpatch

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import clash_errors, name_error
from shipform.model.members import Member
from shipform.model.objects import KubeObject
from shipform.model.stage import Environment
from shipform.render.environment import Rendered
from shipform.render.plan import EnvironmentPlan, namespace_why_not, why_not
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey

Resolved = tuple[Member, KubeObject, tuple[ObjectKey, ...]]
"""A changed handle, its construct and the planned objects of its role (none when the construct has none)."""


def planned(member: Member, plan: EnvironmentPlan) -> tuple[ObjectKey, ...]:
    """The objects planned for a construct: a namespace's, or a workload's (none for an External)."""
    if member.holds_workloads:
        return plan.namespaces.get(member.namespace, ())
    return plan.workloads.get(member.path, ())


def resolve_handles(env: Environment, plan: EnvironmentPlan) -> list[Resolved]:
    """Each changed handle of the Environment's constructs with the planned objects of its role."""
    resolved = []
    for member in env.members:
        changed = [h for h in member.objects if h.changed]
        if changed:
            keys = planned(member, plan)
            resolved += [(member, h, tuple(k for k in keys if _of_role(k, h.role))) for h in changed]
    return resolved


def _of_role(key: ObjectKey, role: str) -> bool:
    """A handle's role names one object ('controller', 'claim:data') or a group of them ('mesh-defaults' holds
    each of the mesh's own 'mesh-defaults:<what>')."""
    return key.role == role or key.role.startswith(f"{role}:")


def handle_errors(env_spec: spec.Environment, resolved: Sequence[Resolved]) -> list[ShipformError]:
    """Annotations and labels the API server would refuse, and changes to objects a construct does not have."""
    errors = []
    for member, handle, keys in resolved:
        errors += handle.errors(keys[0].kind) if keys else [_missing(env_spec, member, handle)]
    return errors


def _missing(env_spec: spec.Environment, member: Member, handle: KubeObject) -> ShipformError:
    if member.holds_workloads:
        ns = next(n for n in env_spec.namespaces if n.name == member.namespace)
        why = namespace_why_not(ns, handle.role)
    else:
        w = next(w for w in env_spec.workloads if w.path == member.path)
        why = why_not(w, handle.role, env_spec.cilium)
    return ShipformError(member.path, _attribute(member, handle), f"is changed, but there is no such object: {why}",
                         None, "drop the change, or set the props that make the object")


def _attribute(member: Member, handle: KubeObject) -> str:
    """The attribute the construct exposes the handle as (``disruption_budget``, ``claims[0]``)."""
    for name, value in vars(member).items():
        if value is handle:
            return name
        if name != "objects" and isinstance(value, list) and any(v is handle for v in value):
            return f"{name}[{next(i for i, v in enumerate(value) if v is handle)}]"
    return handle.role


def plan_errors(env: Environment, env_spec: spec.Environment, plan: EnvironmentPlan) -> list[ShipformError]:
    """What synth refuses once the Environment's objects are planned: names the API server would refuse, two
    constructs that make one object, and the constructs' changes. (An object of a namespace no construct declares
    that a construct makes too is refused when the files are written.)"""
    owned = [(m, planned(m, plan)) for m in env.members]
    names = [e for member, keys in owned for key in keys if (e := name_error(member, key)) is not None]
    return [*names, *clash_errors(owned), *handle_errors(env_spec, resolve_handles(env, plan))]


def apply_handles(rendered: list[Rendered], resolved: Sequence[Resolved]) -> list[Rendered]:
    """The rendered objects with each handle's labels, annotations and patches applied to the objects of its
    role."""
    result = list(rendered)
    index = {r.key: i for i, r in enumerate(result)}
    for _, handle, keys in resolved:
        for key in keys:
            at = index[key]
            result[at] = result[at]._replace(manifest=_patched(handle, key, _with_metadata(handle,
                                                                                         result[at].manifest)))
    return result


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


def _patched(handle: KubeObject, key: ObjectKey, manifest: Manifest) -> Manifest:
    if not handle.patches:
        return manifest
    try:
        result: Manifest = jsonpatch.apply_patch(_with_parents(manifest, handle.patches), handle.patches)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        raise ShipformError(f"{handle.owner_path}/{key.kind}", "add_json_patch", f"does not apply: {err}",
                            handle.patches, "check the op and path against the rendered manifest") from None
    return result
