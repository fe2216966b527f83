"""Operating a service: metrics and alerts with prometheus-operator (a ServiceMonitor per scraped service and a
PrometheusRule per namespace, only where the Environment says Prometheus runs), autoscaling on CPU and memory,
resource recommendations, and how a rollout replaces pods. Custom resources are checked against their published
CRD schemas (shipform/validators/crd_schemas); the namespace's deployer Role may apply them."""

from __future__ import annotations

import json

import pytest

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import (
    App,
    Autoscale,
    CronJob,
    DataStorage,
    Environment,
    Issuer,
    Metrics,
    Monitoring,
    SecureNamespace,
    StatefulDB,
    Subject,
    WebService,
)
from shipform.testing import find_object, objects, synthesize


@pytest.fixture(scope="module")
def monitored(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    dev = Environment(app, "dev", local=True)
    prod = Environment(app, "prod", monitoring=Monitoring(labels={"release": "kube-prometheus-stack"}),
                       tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    for env in (dev, prod):
        ns = SecureNamespace(env, "shop", deployers=[Subject.group("deployers")])
        db = StatefulDB(ns, "db", engine="postgres", version="16")
        WebService(ns, "api", image="nginx:1.27.3", ports={"http": 8000, "metrics": 9090}, metrics=Metrics(),
                   connects_to=[db], autoscale=Autoscale())
        CronJob(ns, "report", schedule="@daily", image="busybox:1.37.0", command=["true"])
    return synthesize(app)


def test_prometheus_scrapes_the_named_port_where_it_runs(monitored):
    monitor = find_object(monitored, "ServiceMonitor", "api", env="prod")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"] == {"selector": {"matchLabels": {"app.kubernetes.io/name": "api",
                                                            "app.kubernetes.io/part-of": "shop"}},
                               "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s",
                                              "scheme": "http"}]}
    admitted = find_object(monitored, "NetworkPolicy", "api", env="prod")["spec"]["ingress"][-1]
    assert admitted == {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                                  "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
                        "ports": [{"port": 9090, "protocol": "TCP"}]}
    # dev has no prometheus-operator: no custom resources its cluster would refuse, no rule admitting Prometheus.
    assert not objects(monitored, "ServiceMonitor", env="dev") and not objects(monitored, "PrometheusRule", env="dev")
    assert "monitoring" not in str(find_object(monitored, "NetworkPolicy", "api", env="dev"))


def test_every_namespace_gets_alerts_with_runbooks(monitored):
    rule = find_object(monitored, "PrometheusRule", "shop-alerts", "shop", "prod")
    alerts = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    assert set(alerts) == {"PodCrashLooping", "PodNotReady", "AutoscalerAtMaximum", "VolumeAlmostFull",
                           "ScheduledJobFailed", "ScheduledJobMissed"}
    assert all(r["annotations"]["runbook"] and 'namespace="shop"' in r["expr"] for r in alerts.values())
    assert alerts["VolumeAlmostFull"]["expr"].endswith("> 0.85")


def test_the_custom_resources_match_their_published_schemas(monitored):
    for kind in ("ServiceMonitor", "PrometheusRule"):
        assert_match_crd_schemas(objects(monitored, kind, env="prod"))


def test_the_deployer_may_apply_them(monitored):
    rules = find_object(monitored, "Role", "deployer", "shop", "prod")["rules"]
    assert deployer_grant("monitoring.coreos.com", "prometheusrules", "servicemonitors") in rules


def test_autoscaling_on_memory_with_a_gentler_scale_down(app_root):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    WebService(env, "api", image="nginx:1.27.3", port=80, recommend_resources=True,
               autoscale=Autoscale(min=2, max=6, memory_percent=80, scale_down_seconds=600, scale_down_percent=50))
    WebService(env, "web", image="nginx:1.27.3", port=81, autoscale=Autoscale())
    files = synthesize(app)
    hpa = find_object(files, "HorizontalPodAutoscaler", "api")["spec"]
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu", "memory"]
    assert hpa["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 600,
                                             "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}}
    assert "behavior" not in find_object(files, "HorizontalPodAutoscaler", "web")["spec"]  # Kubernetes' own


def test_resources_are_recommended_never_changed(app_root):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    WebService(env, "api", image="nginx:1.27.3", port=80, recommend_resources=True)
    vpa = find_object(synthesize(app), "VerticalPodAutoscaler", "api")
    assert vpa["spec"]["updatePolicy"] == {"updateMode": "Off"}
    assert vpa["spec"]["targetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}
    assert_match_crd_schemas([vpa])


def test_a_rollout_surges_as_asked_and_the_quota_counts_the_surge(app_root):
    from shipform import InvalidApp, Issuer, Quota, Rolling

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(env, "shop", quota=Quota(pods=13))
    WebService(ns, "api", image="nginx:1.27.3", port=80, replicas=8, strategy=Rolling(max_surge="50%"))
    rollout = find_object(synthesize(app), "Deployment", "api")["spec"]["strategy"]
    assert rollout == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0}}
    WebService(ns, "web", image="nginx:1.27.3", port=81)  # 1 + 1 surge: 14 pods at peak with api's 8 + 4
    with pytest.raises(InvalidApp, match=r"quota\.pods' is smaller than the workloads need at peak \(14"):
        synthesize(app)


def test_a_scraped_service_gets_a_grafana_dashboard(monitored):
    board = find_object(monitored, "ConfigMap", "api-dashboard", "shop", "prod")
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(board["data"]["shop-api.json"])
    assert [p["title"] for p in dashboard["panels"]] == ["Ready pods", "CPU (cores)", "Memory", "Restarts (1h)",
                                                        "Scraped"]
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert all('namespace="shop"' in e for e in exprs) and any('container="api"' in e for e in exprs)
    assert not objects(monitored, "ConfigMap", "api-dashboard", env="dev")


def test_the_apps_workloads_send_otlp_to_the_collector_and_nothing_else_does(app_root):
    import yaml

    from shipform import Backup, Issuer, Telemetry

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    for env in (Environment(app, "dev", local=True, telemetry=Telemetry()),
                Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"),
                            data_storage=DataStorage("ebs.csi.aws.com"))):
        db = StatefulDB(env, "db", engine="postgres", version="16",
                        backup=Backup(schedule="@daily", in_cluster="a test app: its dumps matter to nobody"))
        WebService(env, "api", image="nginx:1.27.3", port=80, connects_to=[db], env={"OTEL_SERVICE_NAME": "shop-api"})
        CronJob(env, "report", schedule="@daily", image="busybox:1.37.0", command=["true"])
    files = synthesize(app)

    def env_of(kind: str, name: str) -> dict:
        template = find_object(files, kind, name, env="dev")["spec"]
        template = template.get("jobTemplate", {}).get("spec", template)["template"]["spec"]
        return {e["name"]: e.get("value") for e in template["containers"][0].get("env", [])}

    api, report = env_of("Deployment", "api"), env_of("CronJob", "report")
    assert api["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc:4317"
    assert api["OTEL_SERVICE_NAME"] == "shop-api"  # the workload's own env wins
    assert report["OTEL_SERVICE_NAME"] == "report"
    assert report["OTEL_RESOURCE_ATTRIBUTES"] == "service.namespace=shop,deployment.environment.name=dev," \
                                                 "service.version=0.1.0"
    assert not any(k.startswith("OTEL_") for k in env_of("StatefulSet", "db"))
    assert not any(k.startswith("OTEL_") for k in env_of("CronJob", "db-backup"))
    egress = find_object(files, "NetworkPolicy", "api", env="dev")["spec"]["egress"]
    assert {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "opentelemetry-collector"}}}],
            "ports": [{"port": 4317, "protocol": "TCP"}]} in egress
    assert "observability" not in str(find_object(files, "NetworkPolicy", "db", env="dev"))
    assert "observability" not in str(find_object(files, "NetworkPolicy", "api", env="prod"))
    compose = yaml.safe_load(files["compose/compose.yaml"])  # no collector locally
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in compose["services"]["api"]["environment"]


def test_a_worker_is_scraped_through_its_pods(app_root):
    from shipform import Health, Issuer, Worker

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", monitoring=Monitoring(), tls_issuer=Issuer(name="internal-ca"),
                      data_storage=DataStorage("ebs.csi.aws.com"))
    Worker(env, "mailer", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]),
           metrics=Metrics(port=9102, path="/stats"))
    files = synthesize(app)
    monitor = find_object(files, "PodMonitor", "mailer")
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics", "path": "/stats", "interval": "30s",
                                                       "scheme": "http"}]
    assert_match_crd_schemas([monitor])
    pod = find_object(files, "Deployment", "mailer")["spec"]["template"]["spec"]
    assert pod["containers"][0]["ports"] == [{"name": "metrics", "containerPort": 9102, "protocol": "TCP"}]
    assert find_object(files, "NetworkPolicy", "mailer")["spec"]["ingress"] == [
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                   "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
         "ports": [{"port": 9102, "protocol": "TCP"}]}]
    assert not objects(files, "ServiceMonitor") and not objects(files, "Service")


def test_autoscaling_on_custom_and_external_metrics_with_a_gentler_scale_up(app_root):
    from shipform import CustomMetric, Issuer

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    WebService(env, "api", image="nginx:1.27.3", port=80, autoscale=Autoscale(
        cpu_percent=None, metrics=[CustomMetric("http_requests_per_second", average="100"),
                                   CustomMetric("queue_messages_ready", average="30", source="external",
                                                selector={"queue": "orders"})],
        scale_up_seconds=60, scale_up_pods=4))
    hpa = find_object(synthesize(app), "HorizontalPodAutoscaler", "api")["spec"]
    assert hpa["metrics"] == [
        {"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                  "target": {"type": "AverageValue", "averageValue": "100"}}},
        {"type": "External", "external": {"metric": {"name": "queue_messages_ready",
                                                     "selector": {"matchLabels": {"queue": "orders"}}},
                                          "target": {"type": "AverageValue", "averageValue": "30"}}}]
    assert hpa["behavior"] == {"scaleUp": {"stabilizationWindowSeconds": 60,
                                           "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}]}}


def test_the_alerts_fire_when_the_team_says(app_root):
    from shipform import Alerts, Issuer

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", monitoring=Monitoring(alerts=Alerts(
        not_ready_for="5m", volume_full_percent=90, job_missed_hours=26)), tls_issuer=Issuer(name="internal-ca"),
                      data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(env, "shop")
    StatefulDB(ns, "db", engine="postgres", version="16")
    CronJob(ns, "report", schedule="@daily", image="busybox:1.37.0", command=["true"])
    rules = find_object(synthesize(app), "PrometheusRule", "shop-alerts")["spec"]["groups"][0]["rules"]
    alerts = {r["alert"]: r for r in rules}
    assert alerts["PodNotReady"]["for"] == "5m" and "for 5m" in alerts["PodNotReady"]["annotations"]["summary"]
    assert alerts["VolumeAlmostFull"]["expr"].endswith("> 0.9")
    assert alerts["ScheduledJobMissed"]["expr"].endswith("> 26 * 3600")
