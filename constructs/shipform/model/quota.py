"""Does everything declared in a SecureNamespace fit its ResourceQuota and LimitRange? Checked at synth,
not at apply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.values.quantity import Cpu, Memory
from shipform.values.resources import ComputeResources

Q = TypeVar("Q", Cpu, Memory, int)


class Platform(Protocol):
    """The Environment as a quota reads it: the components that add a sidecar to pods."""

    @property
    def path(self) -> str: ...

    @property
    def knative(self) -> spec.KnativeServing | None: ...

    def mesh_of(self, namespace: str) -> spec.Mesh | None: ...

    @property
    def monitoring(self) -> spec.Monitoring | None: ...

    def pull_secret_of(self, namespace: str) -> spec.PullSecretSpec | None: ...


class Counted(Protocol):
    """A workload as its namespace's quota and LimitRange count it (every Workload is one)."""

    @property
    def path(self) -> str: ...

    @property
    def namespace(self) -> str: ...

    @property
    def environment(self) -> Platform: ...

    @property
    def resources(self) -> ComputeResources: ...

    @property
    def serverless(self) -> object | None: ...

    @property
    def config(self) -> Mapping[str, str]: ...

    @property
    def files(self) -> Mapping[str, str]: ...

    def run_spec(self) -> spec.Run: ...

    def run_facets(self) -> tuple[spec.Facet, ...]: ...

    def ephemeral_storage(self) -> Memory: ...

    def referenced_secrets(self) -> set[str]: ...

    def tls_secrets(self) -> set[str]: ...

    def volumes(self) -> tuple[spec.Volume, ...]: ...

    def service_access(self) -> spec.ServiceAccess: ...

    def ports(self) -> tuple[spec.Port, ...]: ...


def peak_pods(w: Counted) -> int:
    """Pods a workload can run at once: its maximum replicas plus the surge pods of a rollout (at least one: a
    StatefulSet's pod or a recreated one is replaced while the old one terminates)."""
    run = w.run_spec()
    if isinstance(run, spec.PerNode):
        return run.max_nodes  # one per node, replaced in place: no surge
    if not isinstance(run, spec.Continuous):
        return 1
    facets = spec.FacetSet(w.run_facets())
    return spec.max_replicas(run, facets) + max(1, spec.surge_pods(run, facets))


def sidecar_of(w: Counted) -> tuple[str, ComputeResources] | None:
    """The container a cluster component adds to the workload's pods, by the Environment prop that sizes it: the
    mesh's proxy where its namespace is enrolled, or Knative's queue-proxy."""
    mesh = w.environment.mesh_of(w.namespace)
    if mesh is not None:
        return "mesh.proxy", mesh.proxy
    knative = w.environment.knative
    if knative is not None and w.serverless is not None:
        return "knative.queue_proxy", knative.queue_proxy
    return None


def pod_resources(w: Counted) -> ComputeResources:
    """A pod's containers together: the workload's own, plus a sidecar (sidecar_of)."""
    sidecar = sidecar_of(w)
    if sidecar is None:
        return w.resources
    r, proxy = w.resources, sidecar[1]
    return ComputeResources(Cpu(r.cpu.millicores + proxy.cpu.millicores), Memory(r.memory.bytes + proxy.memory.bytes),
                            Cpu(r.cpu_limit.millicores + proxy.cpu_limit.millicores),
                            Memory(r.memory_limit.bytes + proxy.memory_limit.bytes), r.ephemeral_storage)


def quota_errors(path: str, quota: spec.QuotaSpec, limits: spec.LimitsSpec,
                 members: Sequence[Counted]) -> list[ShipformError]:
    errors = container_range_errors(limits, members)
    if not members:
        return errors
    pods = [(pod_resources(w), peak_pods(w)) for w in members]
    needed: dict[str, tuple[object, object, bool]] = {
        "cpu": _over(Cpu(sum(r.cpu.millicores * n for r, n in pods)), quota.cpu),
        "cpu_limit": _over(Cpu(sum(r.cpu_limit.millicores * n for r, n in pods)), quota.cpu_limit),
        "memory": _over(Memory(sum(r.memory.bytes * n for r, n in pods)), quota.memory),
        "memory_limit": _over(Memory(sum(r.memory_limit.bytes * n for r, n in pods)), quota.memory_limit),
        "pods": _over(sum(n for _, n in pods), quota.pods),
    }
    claims = claim_sources(members)
    needed["persistent_volume_claims"] = _over(len(claims), quota.persistent_volume_claims)
    balancers, node_ports = exposed_services(members)
    needed["load_balancers"] = _over(balancers, quota.load_balancers)
    needed["node_ports"] = _over(node_ports, quota.node_ports)
    if claims:
        needed["storage"] = _over(Memory(sum(c.size.bytes for c in claims)), quota.storage)
    needed["ephemeral_storage"] = _over(ephemeral(members), quota.ephemeral_storage)
    counts = object_counts(members)
    for key in ("configmaps", "secrets", "services"):
        needed[key] = _over(counts[key], getattr(quota, key))
    for key, (total, hard, over) in needed.items():
        if over and key in _OBJECT_COUNTS:
            errors.append(ShipformError(path, f"quota.{key}", f"is smaller than the workloads' objects take "
                                        f"({total}: {_OBJECT_COUNTS[key]})", str(hard),
                                        f"raise quota.{key} to at least {total}"))
        elif over and key in _SERVICE_COUNTS:
            errors.append(ShipformError(path, f"quota.{key}", f"is smaller than the workloads' Services take "
                                        f"({total}: {_SERVICE_COUNTS[key]})", str(hard),
                                        f"raise quota.{key} to at least {total} or expose fewer Services"))
        elif over and key == "ephemeral_storage" and sized_scratch(members):
            errors.append(ShipformError(
                path, "quota.ephemeral_storage", f"is smaller than the workloads need at peak ({total}, of which "
                f"{Memory(sized_scratch(members), 'binary')} are sized emptyDirs: a backup's dump space is its "
                "database's storage size)",
                str(hard), f"raise quota.ephemeral_storage to at least {total}, or leave it out: the default holds "
                "the sized emptyDirs besides its 50Gi"))
        elif over:
            errors.append(ShipformError(
                path, f"quota.{key}", f"is smaller than the workloads need at peak ({total}, counting maximum "
                "replicas plus each rollout's surge pods)", str(hard),
                f"raise quota.{key} to at least {total} or lower the workloads' resources"))
    return errors


_OBJECT_COUNTS = {
    "configmaps": "two per configured workload, as a changed configuration is a new ConfigMap beside the old one "
                  "until it is pruned, one per scraped service's dashboard, and the namespace's kube-root-ca.crt",
    "secrets": "each Secret a workload references, the image pull secret, and for each TLS certificate the one "
               "cert-manager issues into",
    "services": "one per WebService, five per serverless one (Knative's), two per StatefulDB",
}
HEADROOM = 10
"""Objects of each counted kind a fitted quota leaves room for beyond the workloads' own: manifests the app
includes, cdk8s objects, what controllers add."""


def ephemeral(members: Sequence[Counted]) -> Memory:
    """Ephemeral storage at peak: each pod's times its pods (a pod's containers and steps mount the same emptyDirs,
    and a first step counts only while it runs, instead of the rest)."""
    return Memory(sum(w.ephemeral_storage().bytes * peak_pods(w) for w in members), "binary")


def sized_scratch(members: Sequence[Counted]) -> int:
    """Bytes of the emptyDirs the workloads declare with a size (a backup's dump space), at peak: what a default
    quota holds beyond its allowance for logs and writable paths."""
    return sum(v.source.size.bytes * peak_pods(w) for w in members for v in w.volumes()
               if isinstance(v.source, spec.Scratch))


def claim_sources(members: Sequence[Counted]) -> list[spec.Claim | spec.ClaimTemplate]:
    """The claims the workloads make: a claim template's once per replica (a CloudNativePG cluster's instances)."""
    found: list[spec.Claim | spec.ClaimTemplate] = []
    for w in members:
        for v in w.volumes():
            if isinstance(v.source, spec.Claim | spec.ClaimTemplate):
                run = w.run_spec()
                found += [v.source] * (spec.max_replicas(run, spec.FacetSet(w.run_facets()))
                                       if isinstance(v.source, spec.ClaimTemplate) and isinstance(run, spec.Continuous)
                                       else 1)
    return found


def operated_objects(members: Sequence[Counted]) -> tuple[int, int]:
    """(ConfigMaps, Secrets) CloudNativePG makes beside its clusters: its default monitoring queries once per
    namespace; per cluster its client CA and replication certificate, and its server certificate where none is
    given."""
    clusters = [c for w in members if (c := spec.FacetSet(w.run_facets()).facet(spec.DatabaseCluster)) is not None]
    return (1 if clusters else 0), sum(2 + (c.tls_secret is None) for c in clusters)


def object_counts(members: Sequence[Counted]) -> dict[str, int]:
    """ConfigMaps, Secrets and Services the workloads need in their namespace at most (see _OBJECT_COUNTS)."""
    secrets = {name for w in members for name in w.referenced_secrets()}
    # The AlertmanagerConfig of the namespace reads its receivers' Secrets there (render.alertmanager).
    secrets |= {ref.name for w in members if (m := w.environment.monitoring) is not None and m.receivers is not None
                for ref in m.receivers.secret_refs()}
    tls = {name for w in members for name in w.tls_secrets()}
    # Each service with metrics= in a monitored Environment has a dashboard ConfigMap beside its ServiceMonitor.
    dashboards = sum(1 for w in members if w.ports() and getattr(w, "metrics", None) is not None
                     and w.environment.monitoring is not None)
    pulled = {p.name for w in members if (p := w.environment.pull_secret_of(w.namespace)) is not None}
    operated = operated_objects(members)
    return {"configmaps": 1 + 2 * sum(1 for w in members if w.config or w.files) + dashboards + operated[0],
            "secrets": len(secrets | tls | pulled) + len(tls) + operated[1],
            "services": sum(services(w) for w in members)}


def services(w: Counted) -> int:
    """The Services a workload has in its namespace: its own (a StatefulDB's headless one too), the second one of
    an Argo Rollout, a routed canary's; Knative makes one for the name and two per revision, of which a rollout
    runs two."""
    run = w.run_spec()
    if not isinstance(run, spec.Continuous) or not w.ports():
        return 0
    facets = spec.FacetSet(w.run_facets())
    if facets.facet(spec.ServerlessRun) is not None:
        return 5
    if facets.facet(spec.DatabaseCluster) is not None:
        return 3  # CloudNativePG's -rw, -ro and -r
    rollout = facets.facet(spec.ArgoRollout)
    second = rollout is not None and rollout.second_service is not None
    return 1 + run.stateful + second + (facets.facet(spec.CanarySplit) is not None)


_SERVICE_COUNTS = {"load_balancers": "one per expose='load-balancer' service",
                   "node_ports": "one per port of each expose='node-port' or 'load-balancer' service"}


def fitted_quota(members: Sequence[Counted]) -> spec.QuotaSpec:
    """A quota exactly as large as the workloads need at peak: nothing else fits in the namespace."""
    pods = [(pod_resources(w), peak_pods(w)) for w in members]
    claims = claim_sources(members)
    balancers, node_ports = exposed_services(members)
    counts = object_counts(members)
    return spec.QuotaSpec(
        cpu=Cpu(sum(r.cpu.millicores * n for r, n in pods)), memory=Memory(sum(r.memory.bytes * n for r, n in pods)),
        cpu_limit=Cpu(sum(r.cpu_limit.millicores * n for r, n in pods)),
        memory_limit=Memory(sum(r.memory_limit.bytes * n for r, n in pods)), pods=sum(n for _, n in pods),
        persistent_volume_claims=len(claims),
        storage=Memory(max(sum(c.size.bytes for c in claims), 2**30), "binary"),
        load_balancers=balancers, node_ports=node_ports, ephemeral_storage=ephemeral(members),
        configmaps=counts["configmaps"] + HEADROOM, secrets=counts["secrets"] + HEADROOM,
        services=counts["services"] + HEADROOM)


def exposed_services(members: Sequence[Counted]) -> tuple[int, int]:
    """(load balancers, node ports) the workloads' Services take: a node port per Service port of a NodePort or
    LoadBalancer Service (the API server's quota counts each port)."""
    access = [(w.service_access().type, len(w.ports())) for w in members]
    return (sum(1 for kind, _ in access if kind == "LoadBalancer"),
            sum(n for kind, n in access if kind != "ClusterIP"))


def _over(total: Q, hard: Q) -> tuple[Q, Q, bool]:
    return total, hard, total > hard


def container_range_errors(limits: spec.LimitsSpec, members: Sequence[Counted],
                           declared: bool = True) -> list[ShipformError]:
    """The LimitRange rejects pods whose containers fall outside [container_min, container_max]. ``declared``
    is False for a namespace shipform guards with the defaults: there is no SecureNamespace to change."""
    if declared:
        fix_low = "raise the requests or lower container_min of the SecureNamespace"
        fix_high = "lower the limits or raise container_max of the SecureNamespace"
    else:
        fix_low = "raise the requests, or place the workloads in a SecureNamespace with a lower container_min"
        fix_high = "lower the limits, or place the workloads in a SecureNamespace with a larger container_max"
    errors = []
    sidecars: dict[str, tuple[str, ComputeResources]] = {}  # one error per Environment prop, not per pod
    for w in members:
        errors += _range_errors(limits, w.path, "resources", w.resources, fix_low, fix_high)
        sidecar = sidecar_of(w)
        if sidecar is not None:
            sidecars.setdefault(sidecar[0], (w.environment.path, sidecar[1]))
    for prop, (path, r) in sidecars.items():
        errors += _range_errors(limits, path, prop, r, f"raise {prop}'s requests or lower container_min",
                                f"lower {prop}'s limits or raise container_max")
    return errors


def _range_errors(limits: spec.LimitsSpec, path: str, prop: str, r: ComputeResources, fix_low: str,
                  fix_high: str) -> list[ShipformError]:
    errors = []
    if r.cpu < limits.min_cpu or r.memory < limits.min_memory:
        errors.append(ShipformError(path, prop, f"requests are below the namespace minimum "
                                    f"{limits.min_cpu}/{limits.min_memory}", f"{r.cpu}/{r.memory}", fix_low))
    if r.cpu_limit > limits.max_cpu or r.memory_limit > limits.max_memory:
        errors.append(ShipformError(path, prop, f"limits exceed the namespace maximum "
                                    f"{limits.max_cpu}/{limits.max_memory}", f"{r.cpu_limit}/{r.memory_limit}",
                                    fix_high))
    return errors
