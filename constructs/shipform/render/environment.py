"""Every object an Environment's plan lists, rendered: its namespaces' and workloads' objects, the ExternalSecrets
and the alerts. GitOps-neutral: the order of a first sync is added afterwards (providers.gitops)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from shipform import spec
from shipform.render import eventing, host_access, scheduling
from shipform.render.alertmanager import alert_routes, routed_namespaces, routes_name
from shipform.render.external_secrets import external_secrets, secret_stores
from shipform.render.image_policy import policies
from shipform.render.monitoring import alert_rules
from shipform.render.namespaces import cilium_dns, namespace_objects, resource_of
from shipform.render.plan import EnvironmentPlan, environment_plan
from shipform.render.workloads import workload_objects
from shipform.spec.manifest import Manifest
from shipform.spec.plan import ObjectKey


class Rendered(NamedTuple):
    """A planned object and its body (a tuple: there are thousands)."""

    key: ObjectKey
    manifest: Manifest
    owner: spec.Workload | None = None
    """The workload it is planned for (None: a namespace's or the Environment's)."""


def rendered_objects(env: spec.Environment, plan: EnvironmentPlan,
                     theirs: Sequence[Manifest] = ()) -> list[Rendered]:
    """The planned objects with their bodies: the namespaces', then the workloads', the ExternalSecrets and the
    alerts. ``theirs`` are the objects the Environment applies that shipform does not render (cdk8s objects,
    included manifests): a namespace's deployer Role may apply those too."""
    deployed = [Rendered(k, m, w) for w in env.workloads for k, m in _bodies(plan.workloads[w.path], w)]
    deployed += [Rendered(k, m) for k, m in zip(plan.environment, environment_bodies(env, plan.environment),
                                                strict=True)]
    kinds: dict[str, set[tuple[str, str]]] = {}
    for api_version, kind, namespace in [*((r.key.api_version, r.key.kind, r.key.namespace) for r in deployed),
                                         *((str(o.get("apiVersion", "")), str(o.get("kind", "")),
                                            (o.get("metadata") or {}).get("namespace")) for o in theirs)]:
        resource = resource_of(api_version, kind)
        if namespace and resource is not None:
            kinds.setdefault(namespace, set()).add(resource)
    namespaces = [Rendered(k, cilium_dns(m, env.app) if env.cilium and k.role == "allow-dns" else m)
                  for ns in env.namespaces for k, m in _bodies(plan.namespaces[ns.name], ns, kinds.get(ns.name, set()))]
    pulls = env.pull_secrets()
    return completed([_pulling(pulls[r.key.namespace], r) if r.key.namespace in pulls else r
                      for r in namespaces + deployed])


PULLING_ROLES = {"service-account", "canary-service-account", "default-service-account"}
"""The ServiceAccounts pods run as: each workload's (a canary's copy alike) and a namespace's 'default' (pods that
name none, e.g. applied beside the app)."""


def _pulling(pull: spec.PullSecretSpec, r: Rendered) -> Rendered:
    """A ServiceAccount of a namespace that pulls images names the namespace's pull secret."""
    if r.key.role not in PULLING_ROLES:
        return r
    return r._replace(manifest={**r.manifest, "imagePullSecrets": [{"name": pull.name}]})


def completed(rendered: list[Rendered]) -> list[Rendered]:
    """The objects whose bodies follow from the others' final bodies, made from them: each namespace's admission
    policy from the pods of its workloads, and the host-network note of each NetworkPolicy whose workload's pods run
    on the node's network (render.host_access). A pure function of ``rendered``: it runs again once the constructs'
    changes are applied."""
    pods: dict[str, list[Manifest]] = {}
    host_network = set()
    for r in rendered:
        if r.owner is not None:
            pods.setdefault(r.key.namespace, []).append(r.manifest)
            if host_access.on_host_network(r.manifest):
                host_network.add(r.owner.path)
    result = []
    for r in rendered:
        if r.key.role == "admission-policy":
            ns = host_access.guarded_namespace(r.manifest)
            specs = [p for m in pods.get(ns, ()) for p in host_access.pod_specs(m)]
            r = r._replace(manifest={**r.manifest, "spec": host_access.policy_spec(ns, specs)})
        elif r.key.role == "network-policy" and r.owner is not None:
            note = host_access.host_network_note(host_access.host_network_reason(r.owner)) \
                if r.owner.path in host_network else None
            r = r._replace(manifest=host_access.noted(r.manifest, note))
        result.append(r)
    return result


def _bodies(keys: tuple[ObjectKey, ...], owner: spec.Workload | spec.Namespace,
            deployed: set[tuple[str, str]] | None = None) -> zip[tuple[ObjectKey, Manifest]]:
    if isinstance(owner, spec.Workload):
        return zip(keys, workload_objects(owner, keys), strict=True)
    return zip(keys, namespace_objects(owner, keys, deployed or set()), strict=True)


def environment_bodies(env: spec.Environment, keys: Sequence[ObjectKey]) -> list[Manifest]:
    """The bodies of the Environment's own objects (render.plan.environment_keys), in the order of ``keys``."""
    made = {(o["kind"], *_place(o)): o for o in policies(env) + secret_stores(env) + external_secrets(env)}
    made.update({("PriorityClass", "", tier.name): scheduling.priority_class(env.app, tier)
                 for tier in scheduling.priority_tiers(env)})
    if env.data_storage is not None:
        made[("StorageClass", "", env.data_storage.name)] = storage_class(env.app, env.data_storage)
    if env.monitoring is not None:
        by_namespace: dict[str, list[spec.Workload]] = {}
        for w in env.workloads:
            by_namespace.setdefault(w.namespace, []).append(w)
        made.update({("PrometheusRule", namespace, f"{env.app}-alerts"): alert_rules(env, namespace, workloads)
                     for namespace, workloads in by_namespace.items()})
    made.update({("AlertmanagerConfig", namespace, routes_name(env.app)): alert_routes(env, namespace)
                 for namespace in routed_namespaces(env)})
    made.update(eventing.objects(env))
    return [made[k.key] for k in keys]


def storage_class(app: str, storage: spec.DataStorage) -> Manifest:
    """Released volumes are kept (an administrator binds them again or deletes them), provisioned in the zone their
    pod is scheduled to, and grown in place when a database's storage is raised."""
    body: Manifest = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                      "metadata": {"name": storage.name, "labels": spec.shipform_labels(app)},
                      "provisioner": storage.provisioner}
    if storage.parameters:
        body["parameters"] = dict(storage.parameters)
    return {**body, "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": True}


def _place(o: Manifest) -> tuple[str, str]:
    return o["metadata"].get("namespace", ""), o["metadata"]["name"]


def environment_objects(env: spec.Environment, theirs: Sequence[Manifest] = ()) -> list[Manifest]:
    """Every object shipform renders for the Environment, GitOps-neutral, in the order of its plan."""
    return [r.manifest for r in rendered_objects(env, environment_plan(env), theirs)]
