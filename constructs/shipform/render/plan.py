"""The plan: which Kubernetes objects each workload, namespace and Environment produces, decided here and nowhere
else. Each planned object is an ObjectKey whose role says what it is for; the renderers build the body of each
planned key by its role, the constructs' handles (``api.deployment``) are resolved against it at synth time, and
name and clash checks run over it. A rule that does not plan an object says why, in words a user can act on.

A workload's own roles are the core rules here; each facet's rules come from its contribution (render.facets,
render.contributions), so a new facet plans its objects without an edit here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from shipform import spec
from shipform.providers.gitops.protocol import Phase
from shipform.render import alertmanager, contributions, eventing, host_access, image_policy, mesh, rollouts, scheduling
from shipform.render import facets as _facets  # noqa: F401  (importing them registers the facets' contributions)
from shipform.render.contributions import Rule
from shipform.render.external_secrets import (
    EXTERNAL_SECRETS_API,
    pull_external_secret_places,
    referenced_secrets,
    store_places,
)
from shipform.render.running import continuous, controller, not_long_running
from shipform.spec.plan import ObjectKey

__all__ = ["Rule", "continuous", "controller"]

RBAC = "rbac.authorization.k8s.io/v1"
MONITORING = "monitoring.coreos.com/v1"


# ------------------------------------------------------------------ why an object is not there
def _always(w: spec.Workload, cilium: bool) -> str | None:
    return None


OPERATED = {
    "service-account": "CloudNativePG makes its ServiceAccount '{name}'",
    "controller": "CloudNativePG runs its pods from the Cluster '{name}' (db.cluster)",
    "service": "CloudNativePG makes its Services: '{name}-rw' (the primary), '{name}-ro' and '{name}-r'",
    "headless-service": "CloudNativePG makes its Services: '{name}-rw' (the primary), '{name}-ro' and '{name}-r'",
    "disruption-budget": "CloudNativePG makes its PodDisruptionBudgets (enablePDB)",
}
"""Why a highly available Postgres has none of a StatefulDB's own objects: the operator makes them."""


def _own_pods(role: str, otherwise: Callable[[spec.Workload, bool], str | None]) -> Callable[
        [spec.Workload, bool], str | None]:
    """``otherwise``, for a workload whose pods shipform runs; the operator's reason for one it does not."""
    def absent(w: spec.Workload, cilium: bool) -> str | None:
        if w.facet(spec.DatabaseCluster) is not None:
            return f"{w.name}: " + OPERATED[role].format(name=w.name)
        return otherwise(w, cilium)
    return absent


def _replicated(w: spec.Workload, cilium: bool) -> str | None:
    run = continuous(w)
    if run is None or not_long_running(w):
        return not_long_running(w)
    least = spec.min_replicas(run, w)
    if least > 1:  # with one replica a budget would either permit every eviction or block drains
        return None
    at_least = "at least " if spec.count_owned_elsewhere(w) else ""
    return f"{w.name} runs {at_least}{least} replica, so it has no PodDisruptionBudget"


def _served(w: spec.Workload, cilium: bool) -> str | None:
    return not_long_running(w) or (None if w.ports else f"{w.name} serves no port")


def _stateful(w: spec.Workload, cilium: bool) -> str | None:
    run = continuous(w)
    return None if run is not None and run.stateful else f"{w.name} is not a StatefulDB"


def _configured(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.config is not None else f"{w.name} has no config= or files="


def _claims(w: spec.Workload, cilium: bool) -> str | None:
    claimed = any(isinstance(v.source, spec.Claim) for v in w.volumes)
    return None if claimed else f"{w.name} has no volume of its own (volumes=)"


def _by_name(w: spec.Workload, cilium: bool) -> str | None:
    """Under Cilium every workload has one: its DNS names, and the servers outside it reaches by name."""
    return None if cilium else "the Environment has no cilium=True"


# ------------------------------------------------------------------ the rules, in the order objects are listed
def _own(api: str, kind: str, suffix: str = "") -> Callable[[spec.Workload], tuple[str, str, str]]:
    return lambda w: (api, kind, w.name + suffix)


def _config(w: spec.Workload) -> tuple[str, str, str]:
    assert w.config is not None
    return "v1", "ConfigMap", w.config.name


CORE_RULES: tuple[Rule, ...] = (
    Rule("config", _configured, _config),
    Rule("service-account", _own_pods("service-account", _always), _own("v1", "ServiceAccount")),
    Rule("network-policy", _always, _own("networking.k8s.io/v1", "NetworkPolicy")),
    Rule("fqdn-policy", _by_name, _own("cilium.io/v2", "CiliumNetworkPolicy", "-fqdn")),
    Rule("controller", _own_pods("controller", _always), lambda w: (*controller(w), w.name)),
    Rule("service", _own_pods("service", _served), _own("v1", "Service")),
    Rule("headless-service", _own_pods("headless-service", _stateful), _own("v1", "Service", "-headless")),
    Rule("disruption-budget", _own_pods("disruption-budget", _replicated), _own("policy/v1", "PodDisruptionBudget")),
    Rule("claim", _claims, keys=lambda w: [
        ObjectKey(f"claim:{v.source.name}", "v1", "PersistentVolumeClaim", v.source.name, w.namespace)
        for v in w.volumes if isinstance(v.source, spec.Claim)]),
)
"""The roles of every workload's own objects; the facets' rules (render.facets) follow them."""

_rules: dict[int, tuple[tuple[Rule, ...], dict[str, Rule]]] = {}


def workload_rules() -> tuple[Rule, ...]:
    """The core rules, then each registered facet's (renewed when the table of contributions changes)."""
    return _indexed()[0]


def _indexed() -> tuple[tuple[Rule, ...], dict[str, Rule]]:
    version = contributions.version()
    if version not in _rules:
        _rules.clear()
        rules = CORE_RULES + tuple(rule for c in contributions.registered() for rule in c.rules)
        _rules[version] = rules, {rule.role: rule for rule in rules}
    return _rules[version]


def workload_plan(w: spec.Workload, cilium: bool = False) -> tuple[ObjectKey, ...]:
    """Every object of the workload, in the order of the rules, then its companion's (a routed canary's copy: the
    roles it shares with the workload, as 'canary-<role>'); ``cilium`` when the cluster runs Cilium."""
    rules = workload_rules()
    keys = [key for rule in rules if rule.absent(w, cilium) is None for key in rule.planned(w)]
    companion = rollouts.companion(w)
    if companion is not None:
        shared = rollouts.companion_roles(w)
        keys += [rollouts.companion_key(key) for rule in rules
                 if rule.role in shared and rule.absent(companion, cilium) is None for key in rule.planned(companion)]
    return tuple(keys)


def why_not(w: spec.Workload, role: str, cilium: bool = False) -> str:
    """Why the workload has no object of ``role`` (which its plan lacks)."""
    rules, by_role = _indexed()
    rule = by_role.get(role.partition(":")[0]) or next(
        (r for r in rules if r.roles is not None and role in r.roles()), None)
    if rule is not None and rule.why is not None:
        return rule.why(w, role, cilium)
    reason = rule.absent(w, cilium) if rule is not None else None
    if reason is not None:
        return reason
    if role.startswith("claim:"):
        return f"{w.name} has no volume claim named '{role.removeprefix('claim:')}'"
    return f"{w.name} has no object of role '{role}'"


# ------------------------------------------------------------------ namespaces and the Environment
def namespace_plan(ns: spec.Namespace) -> tuple[ObjectKey, ...]:
    """The namespace and, for a SecureNamespace, its guards: policies, quota, limits, RBAC, mesh defaults."""
    keys = [ObjectKey("namespace", "v1", "Namespace", ns.name, "")]
    g = ns.guards
    if g is None:
        return tuple(keys)

    def own(role: str, api: str, kind: str, name: str) -> ObjectKey:
        return ObjectKey(role, api, kind, name, ns.name)

    keys += [own("default-deny", "networking.k8s.io/v1", "NetworkPolicy", "default-deny"),
             own("allow-dns", "networking.k8s.io/v1", "NetworkPolicy", "allow-dns"),
             own("resource-quota", "v1", "ResourceQuota", "quota"),
             own("limit-range", "v1", "LimitRange", "container-defaults"),
             own("default-service-account", "v1", "ServiceAccount", "default")]
    if ns.mesh is not None:
        keys += [replace(k, role=f"mesh-defaults:{k.role}") for k in mesh.namespace_plan(ns)]
    for group, subjects in (("deployer", g.deployers), ("viewer", g.viewers)):
        if subjects:
            keys += [own(f"{group}-role", RBAC, "Role", group), own(f"{group}-binding", RBAC, "RoleBinding", group)]
    if ns.host_access is not None:  # Pod Security 'privileged' is enforced: what the namespace admits instead
        name = host_access.policy_name(ns.name)
        keys += [ObjectKey("admission-policy", host_access.ADMISSION, "ValidatingAdmissionPolicy", name, ""),
                 ObjectKey("admission-binding", host_access.ADMISSION, "ValidatingAdmissionPolicyBinding", name, "")]
    return tuple(keys)


def namespace_why_not(ns: spec.Namespace, role: str) -> str:
    """Why the namespace has no object of ``role``."""
    if role == "mesh-defaults":
        return f"namespace '{ns.name}' is not enrolled in a service mesh (mesh=)"
    if role.startswith("admission-"):
        return f"namespace '{ns.name}' has no host_access="
    if role.endswith(("-role", "-binding")):
        return f"namespace '{ns.name}' has no {role.partition('-')[0]}s="
    return f"namespace '{ns.name}' has no object of role '{role}'"


def environment_keys(env: spec.Environment) -> tuple[ObjectKey, ...]:
    """The Environment's own objects: the ClusterImagePolicies that admit its images (render.image_policy), the
    PriorityClasses its pods name (Environment(priority_classes=True)), the StorageClass of its databases' volumes
    where it renders one, the secret store where the Environment gives its provider, an ExternalSecret per
    referenced Secret where a store syncs them, and an alerting PrometheusRule per namespace that holds workloads
    where prometheus-operator runs, with an AlertmanagerConfig where the Environment names who receives the
    alerts; its Knative Eventing Brokers and event sources."""
    keys = [ObjectKey("priority-class", scheduling.API, "PriorityClass", tier.name, "")
            for tier in scheduling.priority_tiers(env)]
    if env.data_storage is not None and _uses(env, env.data_storage.name):
        keys.append(ObjectKey("storage-class", "storage.k8s.io/v1", "StorageClass", env.data_storage.name, ""))
    if env.secret_source is not None:
        keys += [ObjectKey("secret-store", EXTERNAL_SECRETS_API, env.secret_source.kind, env.secret_source.store,
                           namespace) for namespace in store_places(env)]
        keys += [ObjectKey("external-secret", EXTERNAL_SECRETS_API, "ExternalSecret", name, namespace)
                 for namespace, name in [*referenced_secrets(env), *pull_external_secret_places(env)]]
    if env.monitoring is not None:
        keys += [ObjectKey("alerts", MONITORING, "PrometheusRule", f"{env.app}-alerts", namespace)
                 for namespace in sorted({w.namespace for w in env.workloads})]
    keys += [ObjectKey("alert-routes", alertmanager.API, "AlertmanagerConfig", alertmanager.routes_name(env.app),
                       namespace) for namespace in alertmanager.routed_namespaces(env)]
    return (*image_policy.keys(env), *keys, *eventing.keys(env))


def _uses(env: spec.Environment, storage_class: str) -> bool:
    """Whether a claim of the Environment is provisioned by ``storage_class``."""
    return any(isinstance(v.source, spec.Claim | spec.ClaimTemplate) and v.source.storage_class == storage_class
               for w in env.workloads for v in w.volumes)


@dataclass(frozen=True)
class EnvironmentPlan:
    """Every object of an Environment that shipform renders, by what it belongs to."""

    namespaces: dict[str, tuple[ObjectKey, ...]]
    """By namespace name."""
    workloads: dict[str, tuple[ObjectKey, ...]]
    """By the workload's construct path."""
    environment: tuple[ObjectKey, ...]
    """ExternalSecrets and alerts."""


def environment_plan(env: spec.Environment) -> EnvironmentPlan:
    return EnvironmentPlan({ns.name: namespace_plan(ns) for ns in env.namespaces},
                           {w.path: workload_plan(w, env.cilium) for w in env.workloads}, environment_keys(env))


# ------------------------------------------------------------------ the phase of a first sync each role belongs to
PHASES: dict[str, Phase | None] = {
    # What every workload needs first: identity, policies, configuration, claims, dashboards.
    "config": "foundation", "service-account": "foundation", "network-policy": "foundation",
    "fqdn-policy": "foundation", "claim": "foundation", "dashboard": "foundation",
    "canary-service-account": "foundation", "canary-network-policy": "foundation",
    # A database's own objects come before its clients and migrations; a migration Job before the workloads.
    "controller": None, "service": None, "headless-service": None, "disruption-budget": None,
    "cluster": None, "scheduled-backup": None,
    # The namespaces with their guards, and the Secrets: foundations too.
    "namespace": "foundation", "default-deny": "foundation", "allow-dns": "foundation",
    "resource-quota": "foundation", "limit-range": "foundation", "default-service-account": "foundation",
    "mesh-defaults": "foundation", "deployer-role": "foundation", "deployer-binding": "foundation",
    "viewer-role": "foundation", "viewer-binding": "foundation", "external-secret": "foundation",
    "secret-store": "foundation", "storage-class": "foundation", "certificate": "foundation",
    "admission-policy": "foundation", "admission-binding": "foundation", "priority-class": "foundation",
    # A Broker before what sends to it or subscribes to it (sources and Triggers become ready once it is).
    "broker": "foundation",
    # What policy-controller admits exists before anything that runs an image is applied.
    "image-policy": "foundation",
    # Objects shipform does not render (cdk8s objects, included manifests) may be needed by anything.
    "foreign": "foundation",
}
"""The phase of each role (None: as the workload runs, see ``phase``); every other role (Ingress, autoscalers, mesh
policies, monitors, the canary's Deployment and Service, alerts) is applied with the workloads."""


def phase(key: ObjectKey, owner: spec.Workload | None = None) -> Phase:
    """The phase of a first sync the planned object belongs to (``owner``: the workload it is planned for)."""
    return phase_of(key.role, owner)


def phase_of(role: str, owner: spec.Workload | None = None) -> Phase:
    found = PHASES.get(role.partition(":")[0], "workload")
    if found is not None:
        return found
    assert owner is not None
    run = owner.run
    if isinstance(run, spec.Continuous) and run.stateful:
        return "data"
    return "migration" if isinstance(run, spec.ToCompletion) and run.pre_sync_hook else "workload"
