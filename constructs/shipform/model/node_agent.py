"""NodeAgent: one pod on every node (a DaemonSet), for node-level services such as log shippers and metrics
agents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Unpack

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.base import child_path
from shipform.model.workload import Workload, WorkloadProps
from shipform.values import checks
from shipform.values.health import Health
from shipform.values.node import HostPath, Toleration
from shipform.values.prop_types import check_props


class NodeAgentProps(WorkloadProps, total=False):
    health: Health | None
    """Required, as for a Worker: ``Health.exec([...])`` or ``Health.none('<why>')``."""
    tolerations: Sequence[Toleration]
    """Default: [] (nodes without taints only). Taints the agent tolerates, e.g. [Toleration.everything()]."""
    node_selector: Mapping[str, str]
    """Default: {} (every node). Node labels the agent's nodes must have."""
    priority_class: str | None
    """Default: None. A PriorityClass, e.g. 'system-node-critical' for agents nodes cannot do without."""
    max_unavailable: int
    """Default: 1. Nodes whose agent is replaced at once during a rollout."""
    max_nodes: int
    """Default: 20. The most nodes the agent runs on: the namespace's quota must hold that many pods."""
    host_paths: Mapping[str, HostPath]
    """Default: {}. ``{mount path: HostPath('/var/log')}``: node folders, read-only unless writable (with its reason:
    ``HostPath('/var/lib/agent', writable=True, reason='<why>')``). Host access: needs a SecureNamespace with
    ``host_access=<why>``; stated as accepted risks with that reason, and the namespace's admission policy admits
    exactly these folders."""
    host_network: bool
    """Default: False. True runs the agent in the node's network namespace. Host access, as above. Most network
    plugins apply no NetworkPolicy to it, so with ``connects_to`` (or anything else its NetworkPolicy would allow
    beyond DNS) it needs ``accepted_risks={'hostNetwork': '<why>'}``."""


class NodeAgent(Workload):
    """A DaemonSet: one pod per node (rolling update ``max_unavailable`` at a time), with tolerations, a node
    selector and a priority class; the same hardened pod as every workload, and host access only through
    ``host_paths`` and ``host_network``, in a namespace that states why (``SecureNamespace(host_access=...)``).
    Locally, one compose service. Props: :class:`NodeAgentProps`."""

    component = "node-agent"

    def __init__(self, scope: Construct, id: str, **props: Unpack[NodeAgentProps]):
        path = child_path(scope, id)
        check_props(path, props, NodeAgentProps)
        health = props.get("health")
        if health is None or health.kind not in ("exec", "none"):
            raise ShipformError(path, "health", "is required, as a command (an agent has no port to probe) or a "
                                "stated reason", None if health is None else health.kind,
                                "pass health=Health.exec([...]) or health=Health.none('<why>')")
        super().__init__(scope, id, props)
        health.validate(self.path)
        self.no_health_reason = health.reason if health.kind == "none" else None
        self.health = None if self.no_health_reason else health
        self.tolerations = tuple(t.validate(self.path, f"tolerations[{i}]")
                                 for i, t in enumerate(props.get("tolerations") or ()))
        self.node_selector = tuple(sorted(self._labels("node_selector", props.get("node_selector") or {}).items()))
        self.priority_class = props.get("priority_class")
        if self.priority_class is not None:
            checks.subdomain_name(self.path, "priority_class", self.priority_class, "system-node-critical")
        self.max_unavailable = checks.positive_int(self.path, "max_unavailable", props.get("max_unavailable", 1))
        self.max_nodes = checks.positive_int(self.path, "max_nodes", props.get("max_nodes", 20))
        self.host_network = props.get("host_network", False)
        self.host_folders = self._host_folders(props.get("host_paths") or {})
        self.writes = tuple((h.path, h.reason) for h in (props.get("host_paths") or {}).values() if h.reason)
        self.service_account = self.handle("service-account")
        self.daemon_set = self.handle("controller")
        self.network_policy = self.handle("network-policy")

    def _labels(self, prop: str, labels: Mapping[str, str]) -> dict[str, str]:
        if not checks.is_label_map(labels):
            bad = {k: v for k, v in labels.items() if not checks.is_label_map({k: v})}
            raise ShipformError(self.path, prop, "must map label keys to label values", bad,
                                "write e.g. {'kubernetes.io/os': 'linux'}")
        return dict(labels)

    def _host_folders(self, paths: Mapping[str, HostPath]) -> tuple[spec.Volume, ...]:
        result = []
        for i, (mount, host) in enumerate(paths.items()):
            prop = f"host_paths.{mount}"
            host.validate(self.path, prop)
            for where, folder in ((prop, mount), (f"{prop}.path", host.path)):
                if not checks.is_plain_path(folder):
                    raise ShipformError(self.path, where, "must be an absolute folder of letters, digits, '.', '_' "
                                        "and '-'", folder, "write e.g. {'/host/var/log': HostPath('/var/log')}")
            checks.mount_point(self.path, prop, mount)  # the host's own /proc may be read, at /host/proc
            result.append(spec.Volume(f"host-{i}", mount, host.path, spec.HostFolder(host.path, not host.writable)))
        return tuple(result)

    @property
    def host_access(self) -> bool:
        return self.host_network or bool(self.host_folders)

    def validate(self) -> list[ShipformError]:
        errors = super().validate()
        if self.host_access and self._host_access_reason() is None:
            errors.append(ShipformError(self.path, "host_paths/host_network", "asks for host access in a namespace "
                                        "that does not allow it", self.namespace,
                                        "place the agent in a SecureNamespace(..., host_access='<why>') of its own"))
        return errors

    def _host_access_reason(self) -> str | None:
        return next((ns.host_access for m in self.environment.members if (ns := m.namespace_spec()) is not None
                     and ns.name == self.namespace and ns.host_access), None)

    def own_risks(self) -> tuple[spec.AcceptedRisk, ...]:
        risks = list(super().own_risks())
        if self.no_health_reason is not None:
            reason = f"no health check: {self.no_health_reason}"
            risks += [spec.AcceptedRisk("CKV_K8S_8", reason), spec.AcceptedRisk("CKV_K8S_9", reason)]
        why = self._host_access_reason()
        if why is not None:
            reason = f"node agent with host access: {why}".replace(",", ";")
            stated = {r.check for r in self.stated_risks}  # the agent's own reason wins where it gives one
            if self.host_network:
                risks += [spec.AcceptedRisk(c, reason) for c in ("CKV_K8S_19", "KSV-0009") if c not in stated]
            if self.host_folders and "KSV-0023" not in stated:
                writes = "".join(f"; writes {path}: {because}" for path, because in self.writes)
                risks += [spec.AcceptedRisk("KSV-0023", reason + writes)]
        return tuple(risks)

    def volumes(self) -> tuple[spec.Volume, ...]:
        return self.host_folders

    def placement(self) -> spec.Placement | None:
        """Its own ``priority_class`` wins over the Environment's tier (e.g. 'system-node-critical')."""
        return None if self.priority_class is not None else super().placement()

    def run_spec(self) -> spec.PerNode:
        return spec.PerNode(max_unavailable=self.max_unavailable, max_nodes=self.max_nodes,
                            tolerations=self.tolerations, node_selector=self.node_selector,
                            priority_class=self.priority_class, host_network=self.host_network)
