"""Who a Flux Kustomization applies an Environment's output as: a ServiceAccount it impersonates
(``spec.serviceAccountName``), allowed exactly what the output holds. In each namespace of the output a Role lets
it apply the kinds found there (and read the ReplicaSets and pods its health checks read); a ClusterRole lets it
apply the output's cluster-scoped objects by name only. A commit to the folder that adds another kind, another
namespace or another cluster-scoped object is refused by the API server.

The API server lets a subject create a Role or a binding only with permissions it holds itself (or ``bind`` on the
role bound): the Role therefore also holds every rule of the Roles the output creates in that namespace, and
``bind`` on the roles the output's bindings name but does not create."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from shipform import spec
from shipform.providers.gitops.scope import Scope, objects_in
from shipform.spec import kinds
from shipform.spec.manifest import Manifest

RBAC = "rbac.authorization.k8s.io"
APPLY = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ = ["get", "list", "watch"]
BY_NAME = ["get", "create", "update", "patch", "delete"]
"""Verbs RBAC can limit to named objects: server-side apply authorizes a create with the object's name."""
HEALTH_READS: dict[tuple[str, str], set[tuple[str, str]]] = {
    ("apps", "Deployment"): {("apps", "replicasets"), ("", "pods")},
    ("apps", "StatefulSet"): {("", "pods")},
    ("apps", "ReplicaSet"): {("", "pods")},
}
"""What Flux's health checks (kstatus' status readers) list besides the objects themselves."""


def account(app: spec.App, env: spec.Environment) -> str:
    """The name of the ServiceAccount, its Roles and bindings."""
    return f"flux-{app.name}-{env.name}"


def rbac_objects(app: spec.App, env: spec.Environment, scope: Scope, objects: Sequence[Manifest]) -> list[Manifest]:
    """The ServiceAccount (beside the Kustomization), the Environment's Namespaces (a Role can only be created
    in a namespace that exists, so they are applied with it), and a Role and RoleBinding per namespace; a
    ClusterRole and its binding when the output has cluster-scoped objects."""
    name = account(app, env)
    labels = spec.shipform_labels(app.name)
    subject = {"kind": "ServiceAccount", "name": name, "namespace": env.gitops_namespace}
    result: list[Manifest] = [{
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": env.gitops_namespace, "labels": labels},
        "automountServiceAccountToken": False,  # only impersonated: no pod runs as it
    }]
    result += [o for o in objects if o.get("kind") == "Namespace" and o.get("apiVersion") == "v1"]
    for namespace in scope.namespaced:
        rules = namespace_rules(objects_in(objects, namespace, scope.default_namespace))
        if not rules:
            continue
        meta = {"name": name, "namespace": namespace, "labels": labels}
        result += [{"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": meta, "rules": rules},
                   {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding", "metadata": meta,
                    "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": name}, "subjects": [subject]}]
    cluster = cluster_rules([o for o in objects if kinds.is_cluster_scoped(str(o.get("apiVersion", "")),
                                                                             str(o.get("kind", "")))])
    if cluster:
        meta = {"name": name, "labels": labels}
        result += [{"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": meta, "rules": cluster},
                   {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": meta,
                    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": name}, "subjects": [subject]}]
    return result


def namespace_rules(found: Sequence[Manifest]) -> list[dict[str, Any]]:
    """Apply the kinds in the namespace, read what health checks read, hold what its Roles grant, bind the roles
    its bindings name but it does not create."""
    applied = {kinds.resource_of(str(o["apiVersion"]), str(o["kind"])) for o in found}
    reads = {r for o in found for r in HEALTH_READS.get((kinds.group_of(str(o["apiVersion"])), str(o["kind"])),
                                                         set())} - applied
    rules = _grouped(applied, APPLY) + _grouped(reads, READ)
    roles = [o for o in found if o.get("kind") == "Role" and o.get("apiVersion") == f"{RBAC}/v1"]
    rules += _beyond(rules, [rule for role in roles for rule in role.get("rules") or []])
    created = {("Role", (r.get("metadata") or {}).get("name")) for r in roles}
    rules += _binds(o for o in found if o.get("kind") == "RoleBinding"
                    and (o.get("roleRef", {}).get("kind"), o.get("roleRef", {}).get("name")) not in created)
    return _unique(rules)


def cluster_rules(found: Sequence[Manifest]) -> list[dict[str, Any]]:
    """Apply the cluster-scoped objects by name; hold what the output's ClusterRoles grant; bind the ClusterRoles
    its ClusterRoleBindings name but it does not create."""
    names: dict[tuple[str, str], set[str]] = {}
    for o in found:
        names.setdefault(kinds.resource_of(str(o["apiVersion"]), str(o["kind"])), set()).add(
            str((o.get("metadata") or {}).get("name")))
    rules: list[dict[str, Any]] = [
        {"apiGroups": [group], "resources": [resource], "verbs": BY_NAME, "resourceNames": sorted(named)}
        for (group, resource), named in sorted(names.items())]
    roles = [o for o in found if o.get("kind") == "ClusterRole"]
    rules += _beyond(rules, [rule for role in roles for rule in role.get("rules") or []])
    created = {(o.get("metadata") or {}).get("name") for o in roles}
    rules += _binds(o for o in found if o.get("kind") == "ClusterRoleBinding"
                    and o.get("roleRef", {}).get("name") not in created)
    return _unique(rules)


def _grouped(resources: Iterable[tuple[str, str]], verbs: list[str]) -> list[dict[str, Any]]:
    by_group: dict[str, set[str]] = {}
    for group, resource in resources:
        by_group.setdefault(group, set()).add(resource)
    return [{"apiGroups": [group], "resources": sorted(names), "verbs": verbs}
            for group, names in sorted(by_group.items())]


def _binds(bindings: Iterable[Manifest]) -> list[dict[str, Any]]:
    """``bind`` on each role a binding names (by kind), limited to those names."""
    named: dict[str, set[str]] = {}
    for b in bindings:
        ref = b.get("roleRef") or {}
        resource = "clusterroles" if ref.get("kind") == "ClusterRole" else "roles"
        named.setdefault(resource, set()).add(str(ref.get("name")))
    return [{"apiGroups": [RBAC], "resources": [resource], "verbs": ["bind"], "resourceNames": sorted(names)}
            for resource, names in sorted(named.items())]


def _beyond(held: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules of ``wanted`` that grant something ``held`` does not (a rule limited to names is kept whole)."""
    covered = _triples(held)
    return [rule for rule in wanted if rule.get("resourceNames") or rule.get("nonResourceURLs")
            or not _triples([rule]) <= covered]


def _triples(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(API group, resource, verb) each rule without resourceNames grants."""
    return {(g, r, v) for rule in rules if not rule.get("resourceNames") for g in rule.get("apiGroups") or []
            for r in rule.get("resources") or [] for v in rule.get("verbs") or []}


def _unique(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    result = []
    for rule in rules:
        key = json.dumps(rule, sort_keys=True)
        if key not in seen:
            seen.add(key)
            result.append(rule)
    return result
