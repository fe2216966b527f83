"""The objects of a namespace: the Namespace with Pod Security labels and, for a SecureNamespace, its
default-deny and DNS policies, ResourceQuota, LimitRange and RBAC."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render import host_access, mesh
from shipform.render.image_policy import INCLUDE
from shipform.render.network import DNS_PEER, DNS_PORTS
from shipform.spec import kinds
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey

RBAC = "rbac.authorization.k8s.io/v1"

# The deployer Role grants exactly the kinds the namespace holds (their resources: spec.kinds); Roles, bindings,
# quotas, limits and the namespace itself stay with whoever applies the SecureNamespace objects (the platform team).

# What a deployer never gets, whoever's objects they are: credentials and where they come from (a secret store
# decides which provider, path and identity an ExternalSecret reads with), RBAC, the namespace and its guards.
NEVER_GRANTED = {"Secret", "SecretStore", "ClusterSecretStore", "Role", "RoleBinding", "ResourceQuota",
                 "LimitRange", "Namespace"}
WRITE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ_VERBS = ["get", "list", "watch"]
VIEW_ONLY = (("", ("pods", "pods/log", "events")),)


def pod_security_labels(version: str, host_access: bool = False) -> dict[str, str]:
    """Pod Security Admission: enforce, audit and warn at 'restricted', each pinned to ``version``; a namespace
    for node agents with host access enforces 'privileged' and still audits and warns at 'restricted'."""
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "privileged" if host_access and mode == "enforce" \
            else "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def resource_of(api_version: str, kind: str) -> tuple[str, str] | None:
    """(API group, resource) of a kind deployed into a namespace; None for what a deployer never gets. Kinds
    shipform does not render itself (cdk8s objects, included manifests) take the group of their apiVersion and
    the plural the API server's default rule gives (lower case; -s, -es after s, x, ch or sh, -ies for -y)."""
    if kind in NEVER_GRANTED:
        return None
    return kinds.resource_of(api_version, kind)


def grants(resources: set[tuple[str, str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(API group, resources) for the given (group, resource) pairs, by group, in a stable order."""
    by_group: dict[str, set[str]] = {}
    for group, resource in resources:
        by_group.setdefault(group, set()).add(resource)
    return tuple((group, tuple(sorted(names))) for group, names in sorted(by_group.items()))


def namespace_objects(ns: spec.Namespace, keys: Sequence[ObjectKey], deployed: set[tuple[str, str]]) -> list[Manifest]:
    """The namespace's planned objects (render.plan.namespace_plan); ``deployed`` are the (API group, resource)
    pairs of everything else the output puts into it."""
    defaults = mesh.namespace_bodies(ns) if any(k.role.startswith("mesh-defaults:") for k in keys) else {}
    return [defaults[replace(k, role=k.role.removeprefix("mesh-defaults:"))] if k.role.startswith("mesh-defaults:")
            else BODIES[k.role](ns, deployed) for k in keys]


def namespace(ns: spec.Namespace, deployed: set[tuple[str, str]]) -> Manifest:
    """Pod Security's labels, and policy-controller's opt-in where the Environment verifies images; a
    SecureNamespace's also enroll it in its mesh."""
    security = pod_security_labels(ns.pod_security_version, ns.host_access is not None)
    if ns.verify_images:
        security[INCLUDE] = "true"
    if ns.guards is None:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": security}}
    labels = {**spec.shipform_labels(ns.app), **security}
    meta: dict[str, Any] = {"name": ns.name, "labels": labels}
    if ns.mesh is not None:
        enrolling, annotations = mesh.namespace_metadata(ns)
        labels.update(enrolling)
        if annotations:
            meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def _guards(ns: spec.Namespace) -> spec.Guards:
    assert ns.guards is not None
    return ns.guards


Body = Callable[[spec.Namespace, set[tuple[str, str]]], Manifest]
BODIES: dict[str, Body] = {
    "namespace": namespace,
    "default-deny": lambda ns, _: _obj(ns, "networking.k8s.io/v1", "NetworkPolicy", "default-deny",
                                       spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    "allow-dns": lambda ns, _: _obj(ns, "networking.k8s.io/v1", "NetworkPolicy", "allow-dns", spec={
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [DNS_PEER], "ports": DNS_PORTS}]}),
    "resource-quota": lambda ns, _: _obj(ns, "v1", "ResourceQuota", "quota", spec={"hard": _hard(_guards(ns).quota)}),
    "limit-range": lambda ns, _: _obj(ns, "v1", "LimitRange", "container-defaults",
                                      spec={"limits": [_limits(_guards(ns).limits)]}),
    # Pods that name no ServiceAccount get 'default': it mounts no token either (shipform's own name theirs).
    "default-service-account": lambda ns, _: _obj(ns, "v1", "ServiceAccount", "default",
                                                  automountServiceAccountToken=False),
    "deployer-role": lambda ns, deployed: _role(ns, "deployer", grants(deployed), WRITE_VERBS),
    "deployer-binding": lambda ns, _: _binding(ns, "deployer", _guards(ns).deployers),
    "viewer-role": lambda ns, deployed: _role(ns, "viewer", grants(deployed) + VIEW_ONLY, READ_VERBS),
    "viewer-binding": lambda ns, _: _binding(ns, "viewer", _guards(ns).viewers),
    # Made from no pods here (admitting no host access); render.environment.completed makes it from the final pods.
    "admission-policy": lambda ns, _: host_access.admission_policy(ns.name, ns.app, ()),
    "admission-binding": lambda ns, _: host_access.admission_binding(ns.name, ns.app),
}
"""The body of each role of a namespace's objects (its mesh defaults are rendered by render.mesh)."""


def cilium_dns(manifest: Manifest, app: str) -> Manifest:
    """Under Cilium, ``allow-dns`` leaves out the app's own pods: each has a CiliumNetworkPolicy that allows DNS
    for the names it needs only, and this policy's layer-4 rule for the same port would allow every name again.
    Pods of no workload of the app (anything applied beside it) keep DNS for any name."""
    others = {"matchExpressions": [{"key": "app.kubernetes.io/part-of", "operator": "NotIn", "values": [app]}]}
    return {**manifest, "spec": {**manifest["spec"], "podSelector": others}}


def _obj(ns: spec.Namespace, api_version: str, kind: str, name: str, **body: Any) -> Manifest:
    meta = {"name": name, "namespace": ns.name, "labels": spec.shipform_labels(ns.app)}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


def _hard(q: spec.QuotaSpec) -> dict[str, str]:
    return {"requests.cpu": str(q.cpu), "requests.memory": str(q.memory), "limits.cpu": str(q.cpu_limit),
            "limits.memory": str(q.memory_limit), "pods": str(q.pods),
            "persistentvolumeclaims": str(q.persistent_volume_claims), "requests.storage": str(q.storage),
            "services.loadbalancers": str(q.load_balancers), "services.nodeports": str(q.node_ports),
            "requests.ephemeral-storage": str(q.ephemeral_storage),
            "limits.ephemeral-storage": str(q.ephemeral_storage),
            "configmaps": str(q.configmaps), "secrets": str(q.secrets), "services": str(q.services)}


def _limits(r: spec.LimitsSpec) -> dict[str, Any]:
    disk = str(r.default_ephemeral_storage)
    return {"type": "Container",
            "defaultRequest": {"cpu": str(r.default_cpu), "memory": str(r.default_memory), "ephemeral-storage": disk},
            "default": {"cpu": str(r.default_cpu_limit), "memory": str(r.default_memory_limit),
                        "ephemeral-storage": disk},
            "min": {"cpu": str(r.min_cpu), "memory": str(r.min_memory)},
            "max": {"cpu": str(r.max_cpu), "memory": str(r.max_memory)}}


def _role(ns: spec.Namespace, name: str, grants: tuple[tuple[str, tuple[str, ...]], ...],
          verbs: list[str]) -> Manifest:
    rules = [{"apiGroups": [group], "resources": list(resources), "verbs": verbs} for group, resources in grants]
    return _obj(ns, RBAC, "Role", name, rules=rules)


def _binding(ns: spec.Namespace, name: str, subjects: tuple[spec.Subject, ...]) -> Manifest:
    return _obj(ns, RBAC, "RoleBinding", name,
                roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                subjects=[_subject(s) for s in subjects])


def _subject(s: spec.Subject) -> dict[str, str]:
    if s.kind == "ServiceAccount":
        return {"kind": "ServiceAccount", "name": s.name, "namespace": str(s.namespace)}
    return {"kind": s.kind, "name": s.name, "apiGroup": "rbac.authorization.k8s.io"}
