"""Pods on the node's network whose NetworkPolicy would seem to confine them: most network plugins apply no
NetworkPolicy to host-network pods, so the traffic their policy allows beyond DNS (``connects_to``, the internet,
ports others call, what facets add) is not the traffic they are held to. That is refused unless the workload's own
``accepted_risks`` names the rule ``hostNetwork`` with the reason, which is then written for the scanners and in
the policy's annotation (render.host_access)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shipform import spec
from shipform.errors import ShipformError
from shipform.render import host_access
from shipform.render.environment import Rendered
from shipform.render.network import DNS_PEER, DNS_PORTS
from shipform.values import pod_security

DNS_RULE = {"to": [DNS_PEER], "ports": DNS_PORTS}


def host_network_errors(rendered: Sequence[Rendered]) -> list[ShipformError]:
    """One error per workload whose rendered pods run on the node's network, whose NetworkPolicy allows more than
    DNS, and whose own accepted_risks does not name hostNetwork."""
    policies = {r.owner.path: r.manifest for r in rendered if r.owner is not None and r.key.role == "network-policy"}
    errors: list[ShipformError] = []
    seen: set[str] = set()
    for r in rendered:
        w = r.owner
        if w is None or w.path in seen or not host_access.on_host_network(r.manifest):
            continue
        seen.add(w.path)
        allowed = confining(policies.get(w.path, {}))
        if allowed and not any(risk.check == "hostNetwork" for risk in w.accepted_risks):
            errors.append(_error(w, r, allowed))
    return errors


def confining(policy: dict[str, Any]) -> list[str]:
    """What a NetworkPolicy allows besides cluster DNS, one line per rule."""
    body = policy.get("spec") or {}
    return ([_summary("ingress from", rule.get("from"), rule) for rule in body.get("ingress") or ()]
            + [_summary("egress to", rule.get("to"), rule) for rule in body.get("egress") or () if rule != DNS_RULE])


def _summary(direction: str, peers: list[dict[str, Any]] | None, rule: dict[str, Any]) -> str:
    ports = ", ".join(str(p.get("port", "every port")) for p in rule.get("ports") or ()) or "every port"
    return f"{direction} {', '.join(_peer(p) for p in peers) if peers else 'anyone'} on {ports}"


def _peer(peer: dict[str, Any]) -> str:
    if "ipBlock" in peer:
        return str(peer["ipBlock"]["cidr"])
    pods = (peer.get("podSelector") or {}).get("matchLabels") or {}
    namespace = ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get(host_access.NS_NAME)
    who = pods.get("app.kubernetes.io/name") or ",".join(f"{k}={v}" for k, v in pods.items()) or "every pod"
    return who + (f" in namespace {namespace}" if namespace else "")


def _error(w: spec.Workload, r: Rendered, allowed: list[str]) -> ShipformError:
    rule = pod_security.BY_NAME["hostNetwork"]
    if isinstance(w.run, spec.PerNode) and w.run.host_network:
        where, prop, drop = w.path, "host_network", "drop host_network=True (on the pod network the policy holds)"
    else:
        at = next(at for at, pod in pod_security.pod_specs(r.manifest, "") if pod.get("hostNetwork") is True)
        where, prop, drop = f"{w.path}/{r.key.kind}", f"{at}/hostNetwork", "remove the patch that sets it"
    return ShipformError(where, prop, "runs the pods on the node's network, where most network plugins apply no "
                         "NetworkPolicy, yet their NetworkPolicy allows traffic as if it confined them to it: "
                         + "; ".join(allowed), True,
                         f"{drop}, or state why its pods may go unconfined with accepted_risks={{'hostNetwork': "
                         f"'<why>'}} on {w.path} (written for checkov and trivy as {', '.join(rule.written)}, and in "
                         f"the NetworkPolicy's {host_access.HOST_NETWORK} annotation)")
