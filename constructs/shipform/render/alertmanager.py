"""An AlertmanagerConfig (prometheus-operator, monitoring.coreos.com/v1alpha1) per namespace of an Environment whose
``Monitoring(receivers=...)`` says who is told: critical alerts page, the rest reach the warning receivers, grouped
by alert name and namespace. prometheus-operator confines each to the alerts of its own namespace (a ``namespace``
matcher on its first-level route), so every namespace of the app's workloads gets one. Credentials are Secret key
selectors of that namespace, never values."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.spec.manifest import Manifest

API = "monitoring.coreos.com/v1alpha1"
GROUP_BY = ("alertname", "namespace")


def routes_name(app: str) -> str:
    return f"{app}-alerts"


def alert_routes(env: spec.Environment, namespace: str) -> Manifest:
    """The namespace's routes and receivers: a route to 'critical' for ``severity="critical"``, everything else to
    'warning' (the root route's receiver)."""
    assert env.monitoring is not None and env.monitoring.receivers is not None
    receivers = env.monitoring.receivers
    labels = {**spec.shipform_labels(env.app), **dict(env.monitoring.labels)}
    return {"apiVersion": API, "kind": "AlertmanagerConfig",
            "metadata": {"name": routes_name(env.app), "namespace": namespace, "labels": labels},
            "spec": {
                "route": {"receiver": "warning", "groupBy": list(GROUP_BY),
                          "routes": [{"receiver": "critical",
                                      "matchers": [{"name": "severity", "matchType": "=", "value": "critical"}]}]},
                "receivers": [_receiver("critical", receivers.critical), _receiver("warning", receivers.warning)]}}


def _receiver(name: str, integrations: tuple[spec.Integration, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    for integration in integrations:
        config: dict[str, Any] = dict(integration.fields)
        config.update({field: {"name": ref.name, "key": ref.key} for field, ref in integration.secrets})
        if integration.kind == "email":
            config["requireTLS"] = True
        config["sendResolved"] = True
        body.setdefault(f"{integration.kind}Configs", []).append(config)
    return body


def secret_places(env: spec.Environment) -> dict[tuple[str, str], set[str]]:
    """{(namespace, Secret name): keys} the AlertmanagerConfigs read: each receiver's Secret in every namespace that
    has one."""
    monitoring = env.monitoring
    if monitoring is None or monitoring.receivers is None:
        return {}
    found: dict[tuple[str, str], set[str]] = {}
    for namespace in routed_namespaces(env):
        for ref in monitoring.receivers.secret_refs():
            found.setdefault((namespace, ref.name), set()).add(ref.key)
    return found


def routed_namespaces(env: spec.Environment) -> list[str]:
    """The namespaces that get an AlertmanagerConfig: those of the workloads, where the PrometheusRules are."""
    if env.monitoring is None or env.monitoring.receivers is None:
        return []
    return sorted({w.namespace for w in env.workloads})
