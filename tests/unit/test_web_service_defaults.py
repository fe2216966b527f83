"""Every WebService default, pinned on the objects cdk8s sees."""

from __future__ import annotations

import pytest

from conftest import manifests
from shipform import Autoscale, Build, Health, SecretRef, WebService
from shipform.values.uids import derived_uid


@pytest.fixture
def api(new_app):
    app, dev, _ = new_app()
    service = WebService(dev, "api", image="nginx:1.27.3", port=8080)
    return app, dev, service


def test_minimal_service_gets_exactly_the_hardened_object_set(api):
    _, dev, _ = api
    assert sorted(manifests(dev)) == [
        ("Deployment", "api"), ("LimitRange", "container-defaults"), ("Namespace", "shop"),
        ("NetworkPolicy", "allow-dns"), ("NetworkPolicy", "api"), ("NetworkPolicy", "default-deny"),
        ("ResourceQuota", "quota"), ("Service", "api"), ("ServiceAccount", "api"), ("ServiceAccount", "default")]


def test_namespace_outside_a_secure_namespace_is_guarded_with_a_quota_that_fits(api):
    _, dev, _ = api
    objects = manifests(dev)
    labels = objects[("Namespace", "shop")]["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security")} == {
        f"pod-security.kubernetes.io/{mode}{suffix}": value for mode in ("enforce", "audit", "warn")
        for suffix, value in (("", "restricted"), ("-version", "v1.33"))}
    # One replica plus one rollout surge pod at 100m/128Mi requested and 500m/256Mi limit each, 128Mi of disk
    # (its own 64Mi, and /tmp); the kube-root-ca.crt ConfigMap and one Service, and room for 10 more of each kind.
    assert objects[("ResourceQuota", "quota")]["spec"]["hard"] == {
        "requests.cpu": "200m", "requests.memory": "256Mi", "limits.cpu": "1", "limits.memory": "512Mi",
        "pods": "2", "persistentvolumeclaims": "0", "requests.storage": "1Gi", "services.loadbalancers": "0",
        "services.nodeports": "0", "requests.ephemeral-storage": "256Mi", "limits.ephemeral-storage": "256Mi",
        "configmaps": "11", "secrets": "10", "services": "11"}


def test_deployment_defaults(api):
    _, dev, _ = api
    deployment = manifests(dev)[("Deployment", "api")]
    assert deployment["metadata"]["namespace"] == "shop"
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["revisionHistoryLimit"] == 5
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    assert spec["selector"] == {"matchLabels": {"app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "shop"}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "shipform"
    assert labels["app.kubernetes.io/component"] == "web-service"
    assert labels["app.kubernetes.io/version"] == "0.1.0"


def test_pod_defaults_are_restricted_and_shut_down_gracefully(api):
    _, dev, _ = api
    pod = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "api"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    uid = derived_uid("shop", "api")  # the App's only service: its derived UID, taken by no other
    assert pod["securityContext"] == {"appArmorProfile": {"type": "RuntimeDefault"}, "fsGroup": uid,
                                      "runAsGroup": uid, "runAsNonRoot": True, "runAsUser": uid,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["terminationGracePeriodSeconds"] == 35  # 30 s for the process + 5 s preStop pause
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == [
        "kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]


def test_container_defaults(api):
    _, dev, _ = api
    container = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27.3"
    assert container["imagePullPolicy"] == "Always"
    assert "args" not in container and "command" not in container
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "128Mi"},
                                      "limits": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "128Mi"}}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "appArmorProfile": {"type": "RuntimeDefault"},
        "capabilities": {"drop": ["ALL"]}, "privileged": False,
        "readOnlyRootFilesystem": True, "runAsGroup": derived_uid("shop", "api"), "runAsNonRoot": True,
        "runAsUser": derived_uid("shop", "api"),
        "seccompProfile": {"type": "RuntimeDefault"}}
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]


def test_default_health_is_tcp_on_the_port(api):
    _, dev, _ = api
    container = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]
    assert container["startupProbe"] == {"tcpSocket": {"port": "http"}, "periodSeconds": 5, "timeoutSeconds": 3,
                                         "failureThreshold": 12}
    assert container["readinessProbe"] == {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3,
                                           "failureThreshold": 3}
    assert container["livenessProbe"] == container["readinessProbe"]


def test_http_health_becomes_http_probes(new_app):
    _, dev, _ = new_app()
    WebService(dev, "api", image="nginx:1.27.3", port=80, health=Health.http("/ready", period_seconds=20))
    container = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["readinessProbe"]["periodSeconds"] == 20


def test_service_and_service_account_defaults(api):
    _, dev, _ = api
    objects = manifests(dev)
    assert objects[("Service", "api")]["spec"] == {
        "type": "ClusterIP", "selector": {"app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "shop"},
        "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]}
    assert objects[("ServiceAccount", "api")]["automountServiceAccountToken"] is False


def test_network_policy_defaults_allow_only_dns_out_and_nothing_in(api):
    _, dev, _ = api
    policy = manifests(dev)[("NetworkPolicy", "api")]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == []
    assert len(policy["egress"]) == 1 and policy["egress"][0]["ports"][0]["port"] == 53


def test_environment_replicas_above_one_add_a_disruption_budget(new_app):
    _, _, prod = new_app()
    WebService(prod, "api", image="nginx:1.27.3", port=8080)
    objects = manifests(prod)
    assert objects[("Deployment", "api")]["spec"]["replicas"] == 3
    assert objects[("PodDisruptionBudget", "api")]["spec"]["maxUnavailable"] == 1


def test_autoscale_adds_hpa_and_drops_fixed_replicas(new_app):
    _, _, prod = new_app()
    WebService(prod, "api", image="nginx:1.27.3", port=8080, autoscale=Autoscale())
    objects = manifests(prod)
    assert "replicas" not in objects[("Deployment", "api")]["spec"]
    hpa = objects[("HorizontalPodAutoscaler", "api")]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}


def test_public_service_gets_tls_ingress_on_the_environment_domain(new_app):
    _, dev, _ = new_app()
    WebService(dev, "web", image="nginx:1.27.3", port=8080, public=True)
    objects = manifests(dev)
    ingress = objects[("Ingress", "web")]["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": ["web.dev.example.com"], "secretName": "web-tls"}]
    assert ingress["rules"][0]["host"] == "web.dev.example.com"
    admitted = objects[("NetworkPolicy", "web")]["spec"]["ingress"]
    assert admitted == [{"from": [{  # the controller's pods only, not every pod of its namespace
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "controller",
                                        "app.kubernetes.io/name": "ingress-nginx"}}}],
        "ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_another_ingress_controller_is_admitted_by_its_own_labels_or_its_namespace(new_app):
    from shipform import Environment

    app, _, _ = new_app()
    for name, props, peer in (
            ("traefik", {"ingress_class": "traefik", "ingress_namespace": "traefik"}, {}),
            ("labelled", {"ingress_class": "traefik", "ingress_namespace": "traefik",
                          "ingress_pods": {"app.kubernetes.io/name": "traefik"}},
             {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}}})):
        env = Environment(app, name, domain="example.com", **props)
        WebService(env, "web", image="nginx:1.27.3", port=8080, public=True)
        admitted = manifests(env)[("NetworkPolicy", "web")]["spec"]["ingress"]
        assert admitted[0]["from"] == [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "traefik"}}, **peer}]


def test_connects_to_injects_env_and_opens_both_policies(new_app):
    _, dev, _ = new_app()
    db = WebService(dev, "catalog", image="nginx:1.27.3", port=8080)
    WebService(dev, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    objects = manifests(dev)
    env = objects[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "CATALOG_HOST", "value": "catalog"}, {"name": "CATALOG_PORT", "value": "8080"},
                   {"name": "CATALOG_URL", "value": "http://catalog:8080"}]
    api_selector = {"matchLabels": {"app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "shop"}}
    assert objects[("NetworkPolicy", "catalog")]["spec"]["ingress"] == [
        {"from": [{"podSelector": api_selector}], "ports": [{"port": 8080, "protocol": "TCP"}]}]
    assert objects[("NetworkPolicy", "api")]["spec"]["egress"][1]["ports"] == [{"port": 8080, "protocol": "TCP"}]


def test_secrets_are_mounted_files_never_values(new_app):
    _, dev, _ = new_app()
    WebService(dev, "api", image="nginx:1.27.3", port=8000, secrets={"DB_PASSWORD": SecretRef("db", "password")})
    pod = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db.password"} in container["env"]
    assert {"name": "secrets", "mountPath": "/run/secrets", "readOnly": True} in container["volumeMounts"]
    assert pod["volumes"][-1]["projected"]["sources"] == [
        {"secret": {"name": "db", "items": [{"key": "password", "path": "db.password"}]}}]


def test_built_image_name_comes_from_registry_app_and_version(new_app):
    _, dev, _ = new_app(version="2.0.1")
    WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    container = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/acme/shop-api:2.0.1"


def test_command_becomes_args_so_tini_stays_pid_1(new_app):
    _, dev, _ = new_app()
    WebService(dev, "api", image="nginx:1.27.3", port=8000, command=["nginx", "-g", "daemon off;"])
    container = manifests(dev)[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["nginx", "-g", "daemon off;"] and "command" not in container


def test_json_patch_escape_hatch_reaches_the_output(api):
    _, dev, service = api
    service.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})
    assert manifests(dev)[("Deployment", "api")]["spec"]["paused"] is True


def test_late_changes_still_reach_the_output(api):
    _, dev, service = api
    service.replicas = 4
    assert manifests(dev)[("Deployment", "api")]["spec"]["replicas"] == 4


def test_volume_scratch_and_node_agent_defaults(new_app):
    """Volume() is a 1Gi ReadWriteOnce claim on the default class, Scratch() a 1Gi emptyDir; a NodeAgent replaces one
    node at a time and its namespace's fitted quota holds 20 of its pods; a Service is a ClusterIP by default."""
    from shipform import Health, NodeAgent, Scratch, Volume

    _, dev, _ = new_app()
    WebService(dev, "files", image="nginx:1.27.3", port=8080,
               volumes={"/data/files": Volume(), "/var/cache/files": Scratch()})
    NodeAgent(dev, "agent", image="busybox:1.37.0", health=Health.exec(["true"]))
    objects = manifests(dev)
    claim = objects[("PersistentVolumeClaim", "files-data-files")]["spec"]
    assert claim == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    volumes = objects[("Deployment", "files")]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "data-var-cache-files", "emptyDir": {"sizeLimit": "1Gi"}} in volumes
    assert objects[("Service", "files")]["spec"]["type"] == "ClusterIP"
    rollout = objects[("DaemonSet", "agent")]["spec"]["updateStrategy"]
    assert rollout == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    files_pods = 1 + 1  # one replica (the Environment's) plus its rollout surge pod
    assert objects[("ResourceQuota", "quota")]["spec"]["hard"]["pods"] == str(20 + files_pods)
