"""What a namespace with host access (``SecureNamespace(host_access=...)``, which enforces Pod Security
'privileged') admits, and what a host-network pod's NetworkPolicy says of itself.

The namespace's ValidatingAdmissionPolicy admits only pods whose host access is among what the namespace's own
pods declare once the constructs' changes are applied: hostPath volumes of exactly the declared node folders
(read-only where every declared mount of the folder is), added capabilities among the declared ones, the host's
network, PID and IPC namespaces and privileged containers only where a declared pod has them. Without it the
namespace's deployer could run any privileged pod there. Its binding applies it to that namespace alone.

A NetworkPolicy whose pods run on the node's network stays rendered (the Kubernetes API leaves NetworkPolicy for
host-network pods to the network plugin, and a plugin that applies it gets the right rules) and says in an
annotation that on most plugins it confines nothing."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any, NamedTuple

from shipform import spec
from shipform.spec.manifest import Manifest
from shipform.values import pod_security

ADMISSION = "admissionregistration.k8s.io/v1"
NS_NAME = "kubernetes.io/metadata.name"
HOST_NETWORK = "shipform.dev/host-network"
"""The annotation on a NetworkPolicy whose pods run on the node's network."""
HOST_NAMESPACES = (("hostNetwork", "network"), ("hostPID", "process IDs"), ("hostIPC", "IPC"))


def policy_name(namespace: str) -> str:
    """The policy's and its binding's name: cluster-wide, as the namespace's own name is."""
    return f"{namespace}-host-access"


class Declared(NamedTuple):
    """The host access of a namespace's declared pods, taken together."""

    host_paths: dict[str, bool]
    """{node folder: read-only} (read-only only where every declared mount of it is)."""
    capabilities: tuple[str, ...]
    host_namespaces: frozenset[str]
    """Among hostNetwork, hostPID and hostIPC."""
    privileged: bool


def declared(pods: Iterable[dict[str, Any]]) -> Declared:
    """What the given pod specs use of the node, together."""
    paths: dict[str, bool] = {}
    caps: set[str] = set()
    shared: set[str] = set()
    privileged = False
    for pod in pods:
        shared |= {field for field, _ in HOST_NAMESPACES if pod.get(field) is True}
        containers = [c for kind in pod_security.CONTAINER_LISTS for c in pod.get(kind) or ()]
        for volume in pod.get("volumes") or ():
            if "hostPath" in volume:
                mounts = [m for c in containers for m in c.get("volumeMounts") or () if m.get("name") == volume["name"]]
                read_only = all(m.get("readOnly") is True for m in mounts)
                path = volume["hostPath"]["path"]
                paths[path] = paths.get(path, True) and read_only
        for c in containers:
            context = c.get("securityContext") or {}
            caps |= set((context.get("capabilities") or {}).get("add") or ())
            privileged = privileged or context.get("privileged") is True
    return Declared(dict(sorted(paths.items())), tuple(sorted(caps)), frozenset(shared), privileged)


def _list(items: Iterable[str]) -> str:
    """A CEL list of string literals (node folders and capability names, quoted as JSON), one item a line when
    long (CEL reads line breaks as spaces; generated lines stay short)."""
    quoted = [_quoted(i) for i in items]
    one_line = "[" + ", ".join(quoted) + "]"
    return one_line if len(one_line) <= 80 else "[\n  " + ",\n  ".join(quoted) + "\n]"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _named(items: Iterable[str]) -> str:
    """The items for a message (one line, kept short: the expression holds them all)."""
    text = ", ".join(items) or "none"
    return f" ({text})" if len(text) <= 100 else ""


def _every_container(condition: str) -> str:
    """``condition`` (of ``c``) for every container, init container and ephemeral container of the pod: one list at
    a time, as the three have different types."""
    return "\n&& ".join(f"(!has(object.spec.{kind}) || object.spec.{kind}.all(c,\n    {condition}))"
                         for kind in pod_security.CONTAINER_LISTS)


def _rule(expression: str, message: str) -> dict[str, str]:
    return {"expression": expression, "message": message, "reason": "Forbidden"}


def validations(namespace: str, d: Declared) -> list[dict[str, str]]:
    """One rule per kind of host access, each null-safe (has() before every optional field)."""
    rules = [_rule("!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath)\n"
                   f"  || v.hostPath.path in {_list(d.host_paths)})",
                   f"namespace {namespace} admits hostPath volumes of the declared node folders only"
                   + _named(d.host_paths))]
    read_only = [path for path, ro in d.host_paths.items() if ro]
    if read_only:
        mounted = ("!has(object.spec.volumes)\n    || !object.spec.volumes.exists(v, v.name == m.name && "
                   f"has(v.hostPath)\n      && v.hostPath.path in {_list(read_only)})")
        rules.append(_rule(_every_container("!has(c.volumeMounts) || c.volumeMounts.all(m, (has(m.readOnly) && "
                                            f"m.readOnly)\n    || {mounted})"),
                           f"namespace {namespace} admits only read-only mounts of the node folders declared read-only"
                           + _named(read_only)))
    rules.append(_rule(_every_container("!has(c.securityContext) || !has(c.securityContext.capabilities)\n    || "
                                        "!has(c.securityContext.capabilities.add)\n    || "
                                        f"c.securityContext.capabilities.add.all(x, x in {_list(d.capabilities)})"),
                       f"namespace {namespace} admits added capabilities among the declared ones only"
                       + _named(d.capabilities)))
    for field, what in HOST_NAMESPACES:
        if field not in d.host_namespaces:
            rules.append(_rule(f"!has(object.spec.{field}) || !object.spec.{field}",
                               f"namespace {namespace} admits no pod in the node's {what} namespace ({field})"))
    if not d.privileged:
        rules.append(_rule(_every_container("!has(c.securityContext) || !has(c.securityContext.privileged)\n    || "
                                            "!c.securityContext.privileged"),
                           f"namespace {namespace} admits no privileged container"))
    return rules


def admission_policy(namespace: str, app: str, pods: Iterable[dict[str, Any]]) -> Manifest:
    """The ValidatingAdmissionPolicy of a namespace with host access, admitting what ``pods`` declare."""
    return {"apiVersion": ADMISSION, "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": policy_name(namespace), "labels": spec.shipform_labels(app)},
            "spec": policy_spec(namespace, pods)}


def policy_spec(namespace: str, pods: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Pods created or changed (ephemeral containers included) in ``namespace`` only, whoever binds the policy;
    a failure to evaluate refuses the pod."""
    rules = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
              "resources": ["pods", "pods/ephemeralcontainers"]}]
    return {"failurePolicy": "Fail",
            "matchConstraints": {"namespaceSelector": {"matchLabels": {NS_NAME: namespace}}, "resourceRules": rules},
            "validations": validations(namespace, declared(pods))}


def admission_binding(namespace: str, app: str) -> Manifest:
    """The policy's binding: denies in the namespace alone."""
    return {"apiVersion": ADMISSION, "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": policy_name(namespace), "labels": spec.shipform_labels(app)},
            "spec": {"policyName": policy_name(namespace), "validationActions": ["Deny"],
                     "matchResources": {"namespaceSelector": {"matchLabels": {NS_NAME: namespace}}}}}


def guarded_namespace(policy: Manifest) -> str:
    """The namespace an admission policy of this module guards."""
    return str(policy["spec"]["matchConstraints"]["namespaceSelector"]["matchLabels"][NS_NAME])


def pod_specs(manifest: Manifest) -> list[dict[str, Any]]:
    """The pod specs of an object (a DaemonSet's template, a CronJob's job's), whatever its kind."""
    return [pod for _, pod in pod_security.pod_specs(manifest, "")]


def on_host_network(manifest: Manifest) -> bool:
    """Whether a pod of the object runs on the node's network."""
    return any(pod.get("hostNetwork") is True for pod in pod_specs(manifest))


def host_network_reason(w: spec.Workload) -> str | None:
    """The reason the workload states for its host network: the rule's own, else the one checkov reads."""
    stated = {r.check: r.reason for r in w.accepted_risks}
    return stated.get("hostNetwork") or stated.get(pod_security.BY_NAME["hostNetwork"].checks[0])


def host_network_note(reason: str | None) -> str:
    """What the NetworkPolicy of host-network pods says of itself, and why that was accepted (lines of at most 100
    characters, so the file stays readable and lint-clean)."""
    return textwrap.fill(
        "does not apply on most network plugins: the pods it selects run on the node's network (hostNetwork), "
        "their traffic is the node's own, which this policy does not confine and other pods' policies see as "
        "coming from the node's address; it confines them only where the plugin applies NetworkPolicy to "
        "host-network pods" + (f". Accepted: {reason}" if reason else ""), 100)


def noted(manifest: Manifest, note: str | None) -> Manifest:
    """A NetworkPolicy saying ``note`` in its host-network annotation (None: not saying it, whatever it said)."""
    meta = dict(manifest.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    if annotations.get(HOST_NETWORK) == note:
        return manifest
    annotations.pop(HOST_NETWORK, None)
    if note is not None:
        annotations[HOST_NETWORK] = note
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**manifest, "metadata": meta}
