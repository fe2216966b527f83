"""The Kubernetes objects of one workload, each built by the body function of its role in the plan
(render.plan decides which there are): ServiceAccount, NetworkPolicy, controller, Services, Ingress or HTTPRoute,
autoscalers, disruption budget, claims, monitoring, a routed canary's objects and the mesh's policies. The objects
are GitOps-neutral: what orders them for Argo CD or Flux is added after rendering (providers.gitops)."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import replace
from typing import Any

from shipform import spec
from shipform.render import keda, knative, mesh, monitoring, network, rollouts
from shipform.render.controllers import claim_spec, controller, metadata, obj
from shipform.render.plan import canary_copy
from shipform.render.plan import controller as controller_of
from shipform.render.scaling import autoscaler, recommender
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey

Body = Callable[[spec.Workload, ObjectKey, Set[str]], Manifest]
"""Builds the object of a planned key; the third argument holds every role planned for the workload (a body that
refers to another of its objects asks whether that one is planned)."""


def workload_objects(w: spec.Workload, keys: Sequence[ObjectKey]) -> list[Manifest]:
    """The workload's planned objects (render.plan.workload_plan), in the order of ``keys``."""
    roles = {k.role for k in keys}
    meshes: dict[str, dict[ObjectKey, Manifest]] = {}  # the mesh renders a workload's policies together
    objects = []
    for key in keys:
        group = key.role.partition(":")[0]
        if group in ("mesh", "canary-mesh"):  # the mesh's own roles ('mesh:<what>'), the canary's prefixed
            if group not in meshes:
                meshes[group] = mesh.workload_bodies(w if group == "mesh" else canary_copy(w))
            objects.append(meshes[group][replace(key, role=key.role.removeprefix("canary-"))])
        else:
            objects.append(BODIES[key.role.partition(":")[0]](w, key, roles))
    return objects


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


def analysis_template(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    rollout = w.facet(spec.ArgoRollout)
    assert rollout is not None and rollout.strategy.analysis is not None and rollout.prometheus is not None
    return rollouts.analysis_template(w, rollout.strategy.analysis, rollout.prometheus)


def ingress(w: spec.Workload, key: ObjectKey | None = None, roles: Set[str] = frozenset()) -> Manifest:
    exposure = w.facet(spec.Exposure)
    assert exposure is not None
    annotations = {"cert-manager.io/cluster-issuer": exposure.cluster_issuer} if exposure.cluster_issuer else None
    backend = {"service": {"name": w.name, "port": {"name": w.ports[0].name}}}
    return obj("networking.k8s.io/v1", "Ingress", metadata(w, annotations=annotations), spec={
        "ingressClassName": exposure.ingress_class,
        "tls": [{"hosts": [exposure.host], "secretName": exposure.tls_secret}],
        "rules": [{"host": exposure.host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": backend}]}}],
    })


def route(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """A Gateway API HTTPRoute for ``host``, attached to the Environment's Gateway (which holds TLS); with a routed
    canary, ``weight`` percent of the requests go to ``<name>-canary``."""
    exposure, split = w.facet(spec.Exposure), w.facet(spec.CanarySplit)
    assert exposure is not None and exposure.gateway is not None
    namespace, _, name = exposure.gateway.partition("/")
    return obj("gateway.networking.k8s.io/v1", "HTTPRoute", metadata(w), spec={
        "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": namespace,
                        "name": name}],
        "hostnames": [exposure.host],
        "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                   "backendRefs": [{"name": w.name, "port": w.ports[0].number}] if split is None else [
                       {"name": w.name, "port": w.ports[0].number, "weight": 100 - split.weight},
                       {"name": f"{w.name}-canary", "port": w.ports[0].number, "weight": split.weight}]}],
    })


def canary_ingress(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    """Behind ingress-nginx, the Ingress that sends ``weight`` percent of the requests to the canary."""
    split = w.facet(spec.CanarySplit)
    assert split is not None
    body = ingress(canary_copy(w))
    body["metadata"]["annotations"] = {  # the stable Ingress holds the certificate
        "nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": str(split.weight)}
    return body


def canary(body: Body) -> Body:
    """The body of the same role for the routed canary: its own ServiceAccount, NetworkPolicy, Deployment and
    Service (its ConfigMap is the stable one's: the same content)."""
    return lambda w, key, roles: body(canary_copy(w), replace(key, role=key.role.removeprefix("canary-")),
                                      frozenset())


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


def queue_credentials(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    scaling = w.facet(spec.QueueScaling)
    assert scaling is not None
    return keda.trigger_authentication(w, scaling)


def scaled_object(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    scaling = w.facet(spec.QueueScaling)
    assert scaling is not None
    return keda.scaled_object(w, scaling, controller_of(w), "trigger-authentication" in roles)


def domain_mapping(w: spec.Workload, key: ObjectKey, roles: Set[str]) -> Manifest:
    exposure = w.facet(spec.Exposure)
    assert exposure is not None
    return knative.domain_mapping(w, exposure)


BODIES: dict[str, Body] = {
    "config": config, "service-account": service_account, "network-policy": network_policy,
    "fqdn-policy": fqdn_policy, "controller": pod_owner,
    "domain-mapping": domain_mapping, "service": service, "second-service": second_service,
    "analysis-template": analysis_template, "canary-service-account": canary(service_account),
    "canary-network-policy": canary(network_policy), "canary-controller": canary(pod_owner),
    "canary-service": canary(service), "canary-ingress": canary_ingress, "headless-service": headless_service,
    "disruption-budget": disruption_budget, "autoscaler": autoscaler, "trigger-authentication": queue_credentials,
    "scaled-object": scaled_object, "recommender": recommender, "route": route, "ingress": ingress,
    "pod-monitor": monitor, "service-monitor": monitor, "dashboard": dashboard, "claim": claim,
}
"""The body of each role of a workload's objects (the mesh's are rendered by render.mesh)."""
