"""Pod Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/), plus a
read-only root filesystem, as rules over a rendered pod spec: what shipform's hardened pod keeps, and what an
escape-hatch patch or a prop may relax only where the construct's ``accepted_risks`` names the rule with a reason.

Each rule names the scanner checks that report a pod breaking it: ``checks`` fire on every break of it, ``also``
on some (a docker socket, SYS_ADMIN). They were read off checkov and trivy run on a hardened Deployment changed
in one field at a time, so a rule accepted by name is written where those scanners read it. Naming all of a
rule's ``checks`` by their ids accepts it too (how accepted risks were stated before the rules had names)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    name: str
    """The key that accepts it in ``accepted_risks``: the field's name in Kubernetes."""
    must: str
    """What the restricted profile asks of the field, for the error."""
    checks: tuple[str, ...]
    also: tuple[str, ...] = ()

    @property
    def written(self) -> tuple[str, ...]:
        """The scanner checks an accepted rule is written for, checkov's then trivy's."""
        return tuple(sorted((*self.checks, *self.also)))


RULES = (
    Rule("privileged", "must be false: a privileged container has the node's devices and every capability",
         ("CKV_K8S_16", "KSV-0017")),
    Rule("hostNetwork", "must be false: the pod would share the node's network (its NetworkPolicies void on "
         "most CNIs)", ("CKV_K8S_19", "KSV-0009")),
    Rule("hostPID", "must be false: the pod would see and signal the node's processes", ("CKV_K8S_17", "KSV-0010")),
    Rule("hostIPC", "must be false: the pod would share the node's IPC namespace", ("CKV_K8S_18", "KSV-0008")),
    Rule("hostPort", "must be unset: a host port binds the node's address", ("CKV_K8S_26", "KSV-0024")),
    Rule("capabilities", "must drop ALL and add none but NET_BIND_SERVICE", ("CKV_K8S_25", "KSV-0022", "KSV-0106"),
         ("CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_39", "KSV-0003", "KSV-0004", "KSV-0005", "KSV-0119")),
    Rule("runAsNonRoot", "must be true: the kubelet then refuses to start a container as root", ("KSV-0012",),
         ("CKV_K8S_23",)),
    Rule("runAsUser", "must not be 0 (root)", ("KSV-0105",), ("CKV_K8S_40", "KSV-0020")),
    Rule("allowPrivilegeEscalation", "must be false: setuid binaries could gain privileges",
         ("CKV_K8S_20", "KSV-0001")),
    Rule("hostPath", "must not be used: a host folder reaches the node's files", ("KSV-0023",),
         ("CKV_K8S_27", "KSV-0006")),
    Rule("readOnlyRootFilesystem", "must be true: writable folders are emptyDirs (writable_paths)",
         ("CKV_K8S_22", "KSV-0014")),
    Rule("seccompProfile", "must be RuntimeDefault or Localhost", ("KSV-0030", "KSV-0104"), ("CKV_K8S_31",)),
    Rule("procMount", "must be Default: the node's /proc would be unmasked", ("KSV-0027",)),
    Rule("seLinuxOptions", "may set only type container_t, container_init_t, container_kvm_t or "
         "container_engine_t", ("KSV-0025",)),
    Rule("sysctls", "may set only the sysctls Kubernetes calls safe", ("KSV-0026",)),
    Rule("appArmorProfile", "must not be Unconfined", ()),
    Rule("hostProcess", "must be false: a Windows host process container runs on the node itself", ("KSV-0103",)),
    Rule("volumes", "may be configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected "
         "or secret", ("KSV-0028",)),
)
BY_NAME = {r.name: r for r in RULES}

ALLOWED_CAPABILITY = "NET_BIND_SERVICE"
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
SECCOMP_TYPES = {"RuntimeDefault", "Localhost"}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class Violation:
    """A field of a rendered object that breaks ``rule``: ``field`` is its JSON pointer in the object (as
    ``add_json_patch`` writes it), ``value`` what it holds (None: it is not set)."""

    rule: Rule
    field: str
    value: object


def accepted(stated: Collection[str]) -> set[str]:
    """The rules that the checks and rule names of a workload's accepted risks accept."""
    return {r.name for r in RULES if r.name in stated or (r.checks and all(c in stated for c in r.checks))}


def violations(manifest: dict[str, Any]) -> list[Violation]:
    """Every break of a rule in the pod specs of an object (whatever its kind: a pod spec is a map with a list of
    ``containers``), each field once."""
    found: dict[str, Violation] = {}
    for at, pod in pod_specs(manifest, ""):
        for v in _pod_violations(at, pod):
            found.setdefault(v.field, v)
    return list(found.values())


def pod_specs(node: object, at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("containers"), list):
            yield at, node
            return
        for key, value in node.items():
            yield from pod_specs(value, f"{at}/{_escaped(str(key))}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from pod_specs(value, f"{at}/{i}")


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _map(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pod_violations(at: str, pod: dict[str, Any]) -> Iterator[Violation]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) not in (None, False):
            yield Violation(BY_NAME[field], f"{at}/{field}", pod[field])
    for i, volume in enumerate(pod.get("volumes") or ()):
        for kind in sorted(set(_map(volume)) - {"name"} - RESTRICTED_VOLUMES):
            rule = BY_NAME["hostPath" if kind == "hostPath" else "volumes"]
            yield Violation(rule, f"{at}/volumes/{i}/{kind}", volume[kind])
    context = _map(pod.get("securityContext"))
    for i, sysctl in enumerate(context.get("sysctls") or ()):
        if _map(sysctl).get("name") not in SAFE_SYSCTLS:
            yield Violation(BY_NAME["sysctls"], f"{at}/securityContext/sysctls/{i}/name", _map(sysctl).get("name"))
    yield from _context_violations(f"{at}/securityContext", context)
    for kind in CONTAINER_LISTS:
        for i, container in enumerate(pod.get(kind) or ()):
            yield from _container_violations(f"{at}/{kind}/{i}", _map(container), context)


def _context_violations(at: str, context: dict[str, Any]) -> Iterator[Violation]:
    """What a pod's or a container's securityContext may not set, whatever the other sets."""
    if context.get("runAsUser") == 0:
        yield Violation(BY_NAME["runAsUser"], f"{at}/runAsUser", 0)
    if "runAsNonRoot" in context and context["runAsNonRoot"] is not True:
        yield Violation(BY_NAME["runAsNonRoot"], f"{at}/runAsNonRoot", context["runAsNonRoot"])
    if "seccompProfile" in context and _map(context["seccompProfile"]).get("type") not in SECCOMP_TYPES:
        yield Violation(BY_NAME["seccompProfile"], f"{at}/seccompProfile", context["seccompProfile"])
    selinux = _map(context.get("seLinuxOptions"))
    for key in ("user", "role"):
        if selinux.get(key):
            yield Violation(BY_NAME["seLinuxOptions"], f"{at}/seLinuxOptions/{key}", selinux[key])
    if selinux.get("type") not in (None, "", *SELINUX_TYPES):
        yield Violation(BY_NAME["seLinuxOptions"], f"{at}/seLinuxOptions/type", selinux["type"])
    if _map(context.get("appArmorProfile")).get("type") == "Unconfined":
        yield Violation(BY_NAME["appArmorProfile"], f"{at}/appArmorProfile/type", "Unconfined")
    if _map(context.get("windowsOptions")).get("hostProcess") not in (None, False):
        yield Violation(BY_NAME["hostProcess"], f"{at}/windowsOptions/hostProcess",
                        context["windowsOptions"]["hostProcess"])


def _container_violations(at: str, container: dict[str, Any],
                          pod_context: dict[str, Any]) -> Iterator[Violation]:
    context = _map(container.get("securityContext"))
    sc = f"{at}/securityContext"
    yield from _context_violations(sc, context)
    for rule, wanted in (("privileged", (None, False)), ("allowPrivilegeEscalation", (False,)),
                         ("readOnlyRootFilesystem", (True,))):
        if context.get(rule) not in wanted:
            yield Violation(BY_NAME[rule], f"{sc}/{rule}", context.get(rule))
    if context.get("procMount") not in (None, "Default"):
        yield Violation(BY_NAME["procMount"], f"{sc}/procMount", context["procMount"])
    for i, port in enumerate(container.get("ports") or ()):
        if _map(port).get("hostPort"):
            yield Violation(BY_NAME["hostPort"], f"{at}/ports/{i}/hostPort", port["hostPort"])
    yield from _capabilities(f"{sc}/capabilities", _map(context.get("capabilities")))
    # runAsNonRoot and the seccomp profile may be left to the pod's; where neither sets them, the container
    # breaks the rule (a value that is set is checked where it is, above).
    for field in ("runAsNonRoot", "seccompProfile"):
        if field not in context and field not in pod_context:
            yield Violation(BY_NAME[field], f"{sc}/{field}", None)


def _capabilities(at: str, capabilities: dict[str, Any]) -> Iterator[Violation]:
    drop = capabilities.get("drop") or []
    if "ALL" not in drop:
        yield Violation(BY_NAME["capabilities"], f"{at}/drop", capabilities.get("drop"))
    for i, added in enumerate(capabilities.get("add") or ()):
        if added != ALLOWED_CAPABILITY:
            yield Violation(BY_NAME["capabilities"], f"{at}/add/{i}", added)
