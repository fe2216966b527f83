"""Alerts that reach people: ``Monitoring(receivers=...)`` becomes an AlertmanagerConfig in every namespace of the
app's workloads, valid against the published CRD schema. Its route tree, as prometheus-operator merges it into
Alertmanager's and as Alertmanager's documentation defines routing (prometheus.io/docs/alerting/latest/configuration
/#route: an alert enters at the root, descends into the first matching child, continues to later siblings only where
``continue`` is set, and is handled by the deepest matching node), sends a critical alert to the pager and anything
else to chat. Credentials are only ever Secret key selectors, and the Secrets are synced or listed like the
workloads' own."""

from __future__ import annotations

import re

import pytest

from conftest import assert_match_crd_schemas
from shipform import (
    App,
    Email,
    Environment,
    Monitoring,
    PagerDuty,
    Quota,
    Receivers,
    SecretRef,
    SecretStore,
    SecureNamespace,
    ShipformError,
    Slack,
    Webhook,
    WebService,
)
from shipform.render.secret_commands import kubectl_create_commands
from shipform.testing import find_object, objects, synthesize

RECEIVERS = Receivers(
    critical=[PagerDuty(routing_key=SecretRef("alerting", "pagerduty-key"))],
    warning=[Slack(webhook=SecretRef("alerting", "slack-webhook"), channel="#shop-alerts"),
             Email(to="oncall@example.com", sender="alertmanager@example.com", smarthost="smtp.example.com:587",
                   username="alertmanager", password=SecretRef("smtp", "password")),
             Webhook(url="https://incidents.example.com/hook"), Webhook(url=SecretRef("alerting", "chat-hook"))])


def shop(root, store: bool = True, receivers: Receivers | None = RECEIVERS, secrets: int = 10) -> App:
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", domain="example.com", monitoring=Monitoring(
        labels={"release": "kube-prometheus-stack"}, receivers=receivers),
        secret_store=SecretStore("vault") if store else None)
    quota = Quota(cpu="4", memory="8Gi", secrets=secrets)
    WebService(SecureNamespace(prod, "back", quota=quota), "api", image="nginx:1.27.3", port=8000)
    WebService(SecureNamespace(prod, "front", quota=quota), "web", image="nginx:1.27.3", port=3000, public=True)
    return app


@pytest.fixture(scope="module")
def files(module_app_root):
    return synthesize(shop(module_app_root))


def config(files, namespace: str) -> dict:
    return find_object(files, "AlertmanagerConfig", "shop-alerts", namespace)


def test_every_namespace_of_the_workloads_gets_one_valid_against_the_crd(files):
    found = objects(files, "AlertmanagerConfig")
    assert sorted(o["metadata"]["namespace"] for o in found) == ["back", "front"]
    assert all(o["metadata"]["labels"]["release"] == "kube-prometheus-stack" for o in found)
    assert_match_crd_schemas(found)


def test_without_receivers_there_is_none(module_app_root):
    assert objects(synthesize(shop(module_app_root, receivers=None)), "AlertmanagerConfig") == []


def merged_tree(configs: list[dict]) -> dict:
    """Alertmanager's route tree after prometheus-operator merges the AlertmanagerConfigs (its default matcher
    strategy, OnNamespace): each config's route becomes a child of the cluster's root with a ``namespace`` matcher
    and ``continue: true``, its receivers named '<namespace>/<name>/<receiver>'."""
    def renamed(route: dict, prefix: str) -> dict:
        return {**route, "receiver": f"{prefix}/{route['receiver']}",
                "routes": [renamed(r, prefix) for r in route.get("routes", [])]}
    children = []
    for c in configs:
        prefix = f"{c['metadata']['namespace']}/{c['metadata']['name']}"
        top = renamed(c["spec"]["route"], prefix)
        top["matchers"] = [{"name": "namespace", "matchType": "=", "value": c["metadata"]["namespace"]},
                           *top.get("matchers", [])]
        children.append({**top, "continue": True})
    return {"receiver": "cluster-default", "routes": children}


def _matches(route: dict, labels: dict[str, str]) -> bool:
    for m in route.get("matchers", []):
        have, value, op = labels.get(m["name"], ""), m.get("value", ""), m.get("matchType", "=")
        ok = {"=": have == value, "!=": have != value}.get(op)
        if ok is None:
            ok = (re.fullmatch(value, have) is not None) == (op == "=~")
        if not ok:
            return False
    return True


def route(node: dict, labels: dict[str, str]) -> list[str]:
    """The receivers an alert reaches from ``node`` (which it matches), as Alertmanager's routing defines it."""
    found: list[str] = []
    for child in node.get("routes", []):
        if _matches(child, labels):
            found += route(child, labels)
            if not child.get("continue", False):
                break
    return found or [node["receiver"]]


@pytest.mark.parametrize("labels, receivers", [
    ({"alertname": "PodCrashLooping", "severity": "critical", "namespace": "back"}, ["back/shop-alerts/critical"]),
    ({"alertname": "AvailabilityBudgetBurn", "severity": "critical", "namespace": "front", "service": "web"},
     ["front/shop-alerts/critical"]),
    ({"alertname": "PodNotReady", "severity": "warning", "namespace": "back"}, ["back/shop-alerts/warning"]),
    ({"alertname": "Watchdog", "severity": "none", "namespace": "front"}, ["front/shop-alerts/warning"]),
    ({"alertname": "KubeNodeNotReady", "severity": "critical", "namespace": "kube-system"}, ["cluster-default"]),
])
def test_critical_alerts_page_and_the_rest_reach_chat(files, labels, receivers):
    assert route(merged_tree(objects(files, "AlertmanagerConfig")), labels) == receivers


def test_receivers_by_severity_grouped_by_alert_and_namespace(files):
    body = config(files, "back")["spec"]
    assert body["route"]["groupBy"] == ["alertname", "namespace"]
    critical, warning = body["receivers"]
    assert critical == {"name": "critical", "pagerdutyConfigs": [
        {"routingKey": {"name": "alerting", "key": "pagerduty-key"}, "sendResolved": True}]}
    assert warning["slackConfigs"] == [{"channel": "#shop-alerts", "apiURL": {"name": "alerting",
                                                                              "key": "slack-webhook"},
                                        "sendResolved": True}]
    assert warning["emailConfigs"] == [{
        "to": "oncall@example.com", "from": "alertmanager@example.com", "smarthost": "smtp.example.com:587",
        "authUsername": "alertmanager", "authPassword": {"name": "smtp", "key": "password"}, "requireTLS": True,
        "sendResolved": True}]
    assert warning["webhookConfigs"] == [{"url": "https://incidents.example.com/hook", "sendResolved": True},
                                         {"urlSecret": {"name": "alerting", "key": "chat-hook"}, "sendResolved": True}]


CREDENTIALS = {"apiURL", "routingKey", "serviceKey", "authPassword", "authSecret", "urlSecret"}
"""The fields of the CRD's receiver configs that carry a credential: each a Secret key selector."""


def test_credentials_are_secret_key_selectors_only(files):
    for c in objects(files, "AlertmanagerConfig"):
        for receiver in c["spec"]["receivers"]:
            for kind, configs in receiver.items():
                for entry in configs if kind.endswith("Configs") else ():
                    for field in CREDENTIALS & set(entry):
                        assert set(entry[field]) == {"name", "key"}, (kind, field)
                    assert "url" not in entry or "@" not in entry["url"]


def test_the_receivers_secrets_are_synced_where_the_configs_read_them(files):
    for namespace in ("front", "back"):
        synced = find_object(files, "ExternalSecret", "alerting", namespace)["spec"]["data"]
        assert [d["secretKey"] for d in synced] == ["chat-hook", "pagerduty-key", "slack-webhook"]
        assert find_object(files, "ExternalSecret", "smtp", namespace)["spec"]["data"][0]["secretKey"] == "password"


def test_without_a_store_the_kubectl_script_creates_them(module_app_root):
    env = shop(module_app_root, store=False).environments[0].to_spec()
    lines = "\n".join(kubectl_create_commands(env))
    for namespace in ("front", "back"):
        for name in ("alerting", "smtp"):
            assert f'"metadata": {{"name": "{name}", "namespace": "{namespace}"}}' in lines
    assert "key pagerduty-key, read by Alertmanager (back/shop-alerts), Alertmanager (front/shop-alerts)" in lines


def test_the_quota_counts_the_receivers_secrets(module_app_root):
    """front holds the web's certificate (its Secret, and the one cert-manager issues into) and now the receivers'
    two Secrets."""
    synthesize(shop(module_app_root, receivers=None, secrets=3))
    with pytest.raises(ShipformError, match=r"'quota.secrets' is smaller than the workloads' objects take \(4"):
        synthesize(shop(module_app_root, secrets=3))
