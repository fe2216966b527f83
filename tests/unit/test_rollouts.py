"""Canary and blue-green rollouts by Argo Rollouts: a Rollout in place of the Deployment, the Service it steers,
an analysis that aborts a bad version; checked against the published CRD schemas (shipform/validators/crd_schemas)."""

from __future__ import annotations

import pytest

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import (
    Analysis,
    App,
    Autoscale,
    BlueGreen,
    Canary,
    Environment,
    Health,
    InvalidApp,
    Metrics,
    Monitoring,
    Quota,
    SecureNamespace,
    Subject,
    WebService,
    Worker,
)
from shipform.testing import find_object, objects, synthesize

ERROR_RATE = ('sum(rate(http_requests_total{namespace="{{args.namespace}}", '
              'rollouts_pod_template_hash="{{args.revision}}", code=~"5.."}[2m]))')


@pytest.fixture(scope="module")
def rolled(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", replicas=2, rollouts="argo", monitoring=Monitoring())
    ns = SecureNamespace(prod, "shop", deployers=[Subject.group("deployers")])
    api = WebService(ns, "api", image="nginx:1.27.3", ports={"http": 8000, "metrics": 9090}, public=True,
                     metrics=Metrics(), autoscale=Autoscale(min=2, max=4),
                     strategy=Canary(steps=[10, "5m", 50, "promote"],
                                     analysis=Analysis(query=ERROR_RATE, success="result[0] < 0.05")))
    WebService(ns, "admin", image="nginx:1.27.3", port=8080, metrics=Metrics(port="http"),
               strategy=BlueGreen(analysis=Analysis(query="1")))
    Worker(ns, "mailer", image="busybox:1.37.0", command=["sleep", "1d"], connects_to=[api],
           health=Health.exec(["true"]), strategy=Canary(steps=[50, "1m"]))
    return synthesize(app)


def test_a_public_canary_is_split_by_ingress_nginx(rolled):
    assert not objects(rolled, "Deployment")
    rollout = find_object(rolled, "Rollout", "api")
    canary = rollout["spec"]["strategy"]["canary"]
    assert canary["stableService"] == "api" and canary["canaryService"] == "api-canary"
    assert canary["trafficRouting"] == {"nginx": {"stableIngress": "api"}}
    assert find_object(rolled, "Ingress", "api")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
        "name"] == "api"
    assert canary["steps"] == [{"setWeight": 10}, {"pause": {"duration": "5m"}}, {"setWeight": 50}, {"pause": {}}]
    assert canary["analysis"]["templates"] == [{"templateName": "api"}]
    assert {"name": "service", "value": "api-canary"} in canary["analysis"]["args"]
    second = find_object(rolled, "Service", "api-canary")
    assert second["spec"]["selector"] == find_object(rolled, "Service", "api")["spec"]["selector"]
    assert find_object(rolled, "HorizontalPodAutoscaler", "api")["spec"]["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "api"}
    assert "replicas" not in rollout["spec"]  # the autoscaler owns the count


def test_the_analysis_queries_prometheus_and_sees_each_version(rolled):
    template = find_object(rolled, "AnalysisTemplate", "api")["spec"]
    metric = template["metrics"][0]
    assert metric["provider"] == {"prometheus": {"address": "http://prometheus-operated.monitoring.svc:9090",
                                                 "query": ERROR_RATE}}
    assert metric["successCondition"] == "result[0] < 0.05" and metric["failureLimit"] == 1
    assert find_object(rolled, "ServiceMonitor", "api")["spec"]["podTargetLabels"] == ["rollouts-pod-template-hash"]


def test_a_blue_green_switches_its_service_after_a_promotion(rolled):
    blue_green = find_object(rolled, "Rollout", "admin")["spec"]["strategy"]["blueGreen"]
    assert blue_green["activeService"] == "admin" and blue_green["previewService"] == "admin-preview"
    assert blue_green["autoPromotionEnabled"] is False
    assert blue_green["prePromotionAnalysis"]["args"][1] == {"name": "service", "value": "admin-preview"}
    measured = find_object(rolled, "AnalysisTemplate", "admin")["spec"]["metrics"][0]  # Analysis' defaults
    assert (measured["successCondition"], measured["interval"], measured["count"], measured["failureLimit"]) == (
        "result[0] >= 0.95", "1m", 5, 1)
    assert blue_green["scaleDownDelaySeconds"] == 30
    preview = find_object(rolled, "Service", "admin-preview")
    # Its own name label: the ServiceMonitor (which selects by name) scrapes each pod once, through 'admin'.
    monitor = find_object(rolled, "ServiceMonitor", "admin")["spec"]["selector"]["matchLabels"]
    assert not set(monitor.items()) <= set(preview["metadata"]["labels"].items())
    assert set(monitor.items()) <= set(find_object(rolled, "Service", "admin")["metadata"]["labels"].items())


def test_a_worker_canary_takes_a_share_of_the_pods_never_fewer_ready(rolled):
    canary = find_object(rolled, "Rollout", "mailer")["spec"]["strategy"]["canary"]
    assert canary == {"maxSurge": "25%", "maxUnavailable": 0,
                      "steps": [{"setWeight": 50}, {"pause": {"duration": "1m"}}]}
    assert not objects(rolled, "Service", "mailer-canary")


def test_rollout_objects_match_their_published_schemas_and_the_deployer_may_apply_them(rolled):
    for kind in ("Rollout", "AnalysisTemplate"):
        assert_match_crd_schemas(objects(rolled, kind))
    rules = find_object(rolled, "Role", "deployer")["rules"]
    assert deployer_grant("argoproj.io", "analysistemplates", "rollouts") in rules


def test_the_quota_holds_a_second_version_at_full_size(app_root):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", rollouts="argo")
    ns = SecureNamespace(env, "shop", quota=Quota(pods=8))
    WebService(ns, "api", image="nginx:1.27.3", port=80, replicas=4, strategy=BlueGreen())
    synthesize(app)  # 4 active + 4 preview
    WebService(ns, "web", image="nginx:1.27.3", port=81, replicas=1)
    with pytest.raises(InvalidApp, match=r"quota\.pods' is smaller than the workloads need at peak \(10"):
        synthesize(app)


def routed_app(app_root, **env_props):
    from shipform import Build, RoutedCanary

    app = App("shop", registry="ghcr.io/acme", version="1.5.0", root=app_root)
    env = Environment(app, "prod", domain="example.com", monitoring=Monitoring(), **env_props)
    ns = SecureNamespace(env, "shop", quota=Quota(cpu_limit="32", memory_limit="64Gi"))
    api = WebService(ns, "api", image="nginx:1.27.3", ports={"http": 8000, "metrics": 9090}, metrics=Metrics(),
                     public=True, replicas=2, strategy=RoutedCanary(weight=10, stable="1.27.2"))
    WebService(ns, "web", build=Build.node("node", ["node", "server.js"]), port=3000, public=True, connects_to=[api],
               strategy=RoutedCanary(weight=25, stable="1.4.2", replicas=2))
    return synthesize(app)


def test_without_argo_ingress_nginx_splits_a_canary_deployment_by_weight(app_root):
    files = routed_app(app_root)
    images = {name: find_object(files, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]["image"]
              for name in ("web", "web-canary", "api", "api-canary")}
    assert images == {"web": "ghcr.io/acme/shop-web:1.4.2", "web-canary": "ghcr.io/acme/shop-web:1.5.0",
                      "api": "nginx:1.27.2", "api-canary": "nginx:1.27.3"}
    assert find_object(files, "Deployment", "web-canary")["spec"]["replicas"] == 2
    assert find_object(files, "Deployment", "api-canary")["spec"]["replicas"] == 1  # the default
    canary = find_object(files, "Ingress", "web-canary")
    assert canary["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/canary": "true",
                                                 "nginx.ingress.kubernetes.io/canary-weight": "25"}
    assert canary["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "web-canary"
    # In-cluster clients keep calling the stable version; the canary admits the ingress controller alone.
    assert find_object(files, "Service", "api")["spec"]["selector"]["app.kubernetes.io/name"] == "api"
    assert [r["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for r in
            find_object(files, "NetworkPolicy", "api-canary")["spec"]["ingress"]] == ["ingress-nginx", "monitoring"]
    # Both versions are scraped, told apart by their Service.
    assert find_object(files, "ServiceMonitor", "api")["spec"]["selector"]["matchExpressions"] == [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": ["api", "api-canary"]}]


def test_behind_a_gateway_the_route_weighs_the_two_versions(app_root):
    files = routed_app(app_root, gateway="gateways/public")
    assert find_object(files, "HTTPRoute", "web")["spec"]["rules"][0]["backendRefs"] == [
        {"name": "web", "port": 3000, "weight": 75}, {"name": "web-canary", "port": 3000, "weight": 25}]
    assert not objects(files, "Ingress")


def test_the_quota_holds_both_versions(app_root):
    from shipform import RoutedCanary

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", domain="example.com")
    ns = SecureNamespace(env, "shop", quota=Quota(pods=6))
    WebService(ns, "api", image="nginx:1.27.3", port=80, public=True, replicas=2,
               strategy=RoutedCanary(weight=10, stable="1.27.2", replicas=2))
    synthesize(app)  # 2 stable + 1 surge, 2 canary + 1 surge
    WebService(ns, "web", image="nginx:1.27.3", port=81)
    with pytest.raises(InvalidApp, match=r"quota\.pods' is smaller than the workloads need at peak \(8"):
        synthesize(app)


def test_a_canary_by_default_takes_a_fifth_then_half_five_minutes_each(app_root):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    env = Environment(app, "prod", rollouts="argo")
    WebService(env, "api", image="nginx:1.27.3", port=80, strategy=Canary())
    steps = find_object(synthesize(app), "Rollout", "api")["spec"]["strategy"]["canary"]["steps"]
    assert steps == [{"setWeight": 20}, {"pause": {"duration": "5m"}}, {"setWeight": 50}, {"pause": {"duration": "5m"}}]
