"""The Kubernetes objects of one workload, each built by the body function of its role in the plan
(render.plan decides which there are): ServiceAccount, NetworkPolicy, controller, Services, Ingress or HTTPRoute,
autoscalers, disruption budget, claims, monitoring, a routed canary's objects and the mesh's policies. The objects
are GitOps-neutral: what orders them for Argo CD or Flux is added after rendering (providers.gitops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render import exposure, mesh, monitoring, network, rollouts, scaling
from shipform.render.controllers import claim_spec, controller, metadata, obj
from shipform.render.plan import controller as controller_of
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey, Planned

Body = Callable[[spec.Workload, ObjectKey, Set[str]], Manifest]
"""Builds the object of a planned key; the third argument holds every role planned for the workload (a body that
refers to another of its objects asks whether that one is planned)."""


def workload_objects(w: spec.Workload, keys: Sequence[ObjectKey]) -> list[Manifest]:
    """The workload's planned objects (render.plan.workload_plan), in the order of ``keys``: the workload's own
    roles (its companion's prefixed 'canary-') built here, the providers' from their plans."""
    roles = {k.role for k in keys}
    provided: dict[ObjectKey, Planned] | None = None  # built once, when the first provider's object comes
    objects = []
    for key in keys:
        group = key.role.partition(":")[0]
        body = BODIES.get(group)
        if body is None and group.startswith("canary-") and group.removeprefix("canary-") in BODIES:
            body = canary(BODIES[group.removeprefix("canary-")])
        if body is not None:
            objects.append(body(w, key, roles))
            continue
        if provided is None:
            provided = providers_objects(w)
        objects.append(provided[key].build())
    return objects


def providers_objects(w: spec.Workload) -> dict[ObjectKey, Planned]:
    """Every object the providers plan for the workload (its rollout, exposure, scaler and mesh, and the mesh's
    for its companion), by key: the plan lists the same keys from the same calls."""
    found = [*rollouts.planned(w), *exposure.planned(w), *scaling.planned(w, controller_of(w)), *mesh.planned(w)]
    companion = rollouts.companion(w)
    if companion is not None:
        found += [replace(p, key=rollouts.companion_key(p.key)) for p in mesh.planned(companion)]
    return {p.key: p for p in found}


def service_account(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    return obj("v1", "ServiceAccount", metadata(w), automountServiceAccountToken=False)


def network_policy(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """Servers outside the cluster known by name are left to the Cilium policy where there is one."""
    return obj("networking.k8s.io/v1", "NetworkPolicy", metadata(w),
               spec=network.network_policy_spec(w, "fqdn-policy" in roles))


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


def canary(body: Body) -> Body:
    """The body of the same role for the workload's companion (a routed canary's copy): its own ServiceAccount,
    NetworkPolicy, Deployment and Service."""
    def companion_body(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
        companion = rollouts.companion(w)
        assert companion is not None
        return body(companion, replace(key, role=key.role.removeprefix("canary-")), frozenset())
    return companion_body


def monitor(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    scrape = w.facet(spec.Scrape)
    assert scrape is not None
    return monitoring.service_monitor(w, scrape, key.kind)


def dashboard(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """The service's Grafana dashboard, as a ConfigMap the Grafana sidecar loads."""
    scrape = w.facet(spec.Scrape)
    assert scrape is not None
    board = metadata(w, key.name)
    board["labels"] = {**w.labels, **monitoring.DASHBOARD_LABEL}
    return obj("v1", "ConfigMap", board, data=monitoring.dashboard(w, scrape))


def claim(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    source = next(v.source for v in w.volumes if isinstance(v.source, spec.Claim) and v.source.name == key.name)
    assert isinstance(source, spec.Claim)
    return obj("v1", "PersistentVolumeClaim", metadata(w, source.name), spec=claim_spec(source))


def recommender(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """A VerticalPodAutoscaler that only recommends (updateMode Off): resizing pods itself would evict them, fight
    a CPU autoscaler and drift from the resources in git."""
    target = controller_of(w)
    return obj("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", metadata(w), spec={
        "targetRef": {"apiVersion": target[0], "kind": target[1], "name": w.name},
        "updatePolicy": {"updateMode": "Off"},
        "resourcePolicy": {"containerPolicies": [{"containerName": w.name,
                                                  "controlledResources": ["cpu", "memory"]}]},
    })


BODIES: dict[str, Body] = {
    "config": config, "service-account": service_account, "network-policy": network_policy,
    "fqdn-policy": fqdn_policy, "controller": pod_owner, "service": service, "second-service": second_service,
    "headless-service": headless_service, "disruption-budget": disruption_budget, "recommender": recommender,
    "pod-monitor": monitor, "service-monitor": monitor, "dashboard": dashboard, "claim": claim,
}
"""The body of each of the workload's own roles (the providers' objects are built from their plans)."""
