"""The Kubernetes objects of one workload, each built by the body function of its role in the plan
(render.plan decides which there are): its own (ServiceAccount, NetworkPolicy, controller, Services, disruption
budget, claims) here, its facets' (an Ingress or HTTPRoute, autoscalers, monitoring, a rollout's, the mesh's) from
their rules (render.facets), a routed canary's copy alike. The objects are GitOps-neutral: what orders them for Argo
CD or Flux is added after rendering (providers.gitops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render import mesh, network, rollouts
from shipform.render.controllers import claim_spec, controller, metadata, obj
from shipform.render.plan import workload_rules
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey, Planned

Body = Callable[[spec.Workload, ObjectKey, Set[str]], Manifest]
"""Builds the object of a planned key; the third argument holds every role planned for the workload (a body that
refers to another of its objects asks whether that one is planned)."""


def workload_objects(w: spec.Workload, keys: Sequence[ObjectKey]) -> list[Manifest]:
    """The workload's planned objects (render.plan.workload_plan), in the order of ``keys``: its own roles built
    here, the facets' from their rules (render.facets), its companion's ('canary-<role>') alike."""
    roles = {k.role for k in keys}
    faceted: dict[ObjectKey, Planned] | None = None  # built once, when the first facet's object comes
    objects = []
    for key in keys:
        body = BODIES.get(key.role.partition(":")[0])
        if body is not None:
            objects.append(body(w, key, roles))
            continue
        if faceted is None:
            faceted = facet_objects(w)
        planned = faceted.get(key)
        objects.append(planned.build() if planned is not None else companion_object(w, key, roles))
    return objects


def facet_objects(w: spec.Workload) -> dict[ObjectKey, Planned]:
    """Every object the workload's facets plan with their bodies, by key: the plan lists the same keys from the same
    rules."""
    return {p.key: p for rule in workload_rules() if rule.objects is not None and rule.absent(w, False) is None
            for p in rule.objects(w)}


def companion_object(w: spec.Workload, key: ObjectKey, roles: Set[str] = frozenset()) -> Manifest:
    """An object of the workload's companion (a routed canary's copy), planned as 'canary-<role>'; ``roles``: the
    workload's planned roles, whose 'canary-' ones are the companion's."""
    companion = rollouts.companion(w)
    assert companion is not None and key.role.startswith("canary-"), key
    own = replace(key, role=key.role.removeprefix("canary-"))
    body = BODIES.get(own.role.partition(":")[0])
    theirs = {r.removeprefix("canary-") for r in roles if r.startswith("canary-")}
    return body(companion, own, theirs) if body is not None else facet_objects(companion)[own].build()


def service_account(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """Without a token: a cloud's workload identity does not need it either (IRSA's and Azure's webhooks project a
    token of their own audience; GKE's metadata server needs none)."""
    identity = w.facet(spec.CloudIdentity)
    annotations = dict(identity.service_account_annotations) if identity is not None else None
    return obj("v1", "ServiceAccount", metadata(w, annotations=annotations), automountServiceAccountToken=False)


def network_policy(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """Servers outside the cluster known by name are left to the Cilium policy where there is one."""
    cilium = "fqdn-policy" in roles
    return obj("networking.k8s.io/v1", "NetworkPolicy",
               metadata(w, annotations=network.policy_annotations(w, cilium)),
               spec=network.network_policy_spec(w, cilium))


def fqdn_policy(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    return obj(key.api_version, key.kind, metadata(w, key.name), spec=network.fqdn_policy_spec(w))


def config(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    assert w.config is not None
    return obj("v1", "ConfigMap", metadata(w, key.name), immutable=True, data=w.config.data)


def pod_owner(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    return controller(w, key)


def service_ports(w: spec.Workload) -> list[dict[str, Any]]:
    return [{"name": p.name, "port": p.number, "targetPort": p.name, "protocol": "TCP",
             **({"appProtocol": p.app_protocol} if p.app_protocol else {})} for p in w.ports]


def service(w: spec.Workload, key: ObjectKey | None = None, roles: Set[str] = frozenset()) -> Manifest:
    access = w.facet(spec.ServiceAccess)
    body: dict[str, Any] = {"type": access.type if access else "ClusterIP", "selector": w.selector,
                            "ports": service_ports(w)}
    if access is not None and access.type != "ClusterIP":
        # Local: no second hop through another node, and the client's own address reaches the pod (so the
        # NetworkPolicy can admit source ranges).
        body["externalTrafficPolicy"] = "Local"
    if access is not None and access.type == "LoadBalancer" and access.source_ranges:
        body["loadBalancerSourceRanges"] = list(access.source_ranges)
    return obj("v1", "Service", metadata(w, annotations=mesh.service_annotations(w)), spec=body)


def second_service(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """The Service of the new version under Argo Rollouts (its own name label, so the ServiceMonitor does not
    scrape the pods twice)."""
    body = service(w)
    body["metadata"] = {**metadata(w, key.name), "labels": {**w.labels, "app.kubernetes.io/name": key.name}}
    return body


def headless_service(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """Stable names for a StatefulSet's pods, published before they are ready (peers find each other)."""
    return obj("v1", "Service", metadata(w, key.name), spec={
        "clusterIP": "None", "publishNotReadyAddresses": True, "selector": w.selector, "ports": service_ports(w)})


def disruption_budget(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    return obj("policy/v1", "PodDisruptionBudget", metadata(w),
               spec={"maxUnavailable": 1, "selector": {"matchLabels": w.selector}})


def claim(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    source = next(v.source for v in w.volumes if isinstance(v.source, spec.Claim) and v.source.name == key.name)
    assert isinstance(source, spec.Claim)
    return obj("v1", "PersistentVolumeClaim", metadata(w, source.name), spec=claim_spec(source))


BODIES: dict[str, Body] = {
    "config": config, "service-account": service_account, "network-policy": network_policy,
    "fqdn-policy": fqdn_policy, "controller": pod_owner, "service": service, "second-service": second_service,
    "headless-service": headless_service, "disruption-budget": disruption_budget, "claim": claim,
}
"""The body of each of the workload's own roles, and of a second Service a rollout steers (the workload's own
under another name); the facets' objects are built from their rules."""
