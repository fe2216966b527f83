"""Request-driven scale to zero with Knative: a Knative Service in the subset of the pod spec Knative accepts,
reached through Knative's gateway, admitting its gateway, activator and autoscaler alone; a cluster-local one
states, with the app's reason, that any pod reaching the gateway or the activator reaches it; checked against the
published CRD schemas (shipform/validators/crd_schemas/serving.knative.dev)."""

from __future__ import annotations

import pytest
import yaml

from conftest import assert_match_crd_schemas, deployer_grant
from shipform import (
    App,
    DataStorage,
    Environment,
    Health,
    Issuer,
    KnativeServing,
    Quota,
    SecureNamespace,
    Serverless,
    StatefulDB,
    Subject,
    WebService,
)
from shipform.errors import ShipformError
from shipform.testing import find_object, objects, synthesize


@pytest.fixture(scope="module")
def serverless(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", knative=KnativeServing(),
                       tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
    dev = Environment(app, "dev", local=True, domain="dev.example.com")
    for env in (dev, prod):
        ns = SecureNamespace(env, "shop", deployers=[Subject.group("deployers")],
                             quota=Quota(cpu_limit="16", memory_limit="32Gi"))
        db = StatefulDB(ns, "db", engine="postgres", version="16")
        api = WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[db], health=Health.http("/healthz"),
                         serverless=Serverless(max=4, concurrency=50) if env is prod else None,
                         accepted_risks={"knativeSharedGateway": "it serves the catalogue every pod may read"})
        WebService(ns, "web", image="nginx:1.27.3", port=3000, public=True, connects_to=[api],
                   serverless=Serverless(min=1, max=3) if env is prod else None)
    return synthesize(app)


def test_a_knative_service_replaces_the_deployment_service_and_ingress(serverless):
    service = find_object(serverless, "Service", "api", env="prod")
    assert service["apiVersion"] == "serving.knative.dev/v1"
    assert service["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    revision = service["spec"]["template"]
    assert revision["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"
    assert revision["metadata"]["annotations"]["autoscaling.knative.dev/target"] == "50"
    pod = revision["spec"]
    assert "securityContext" not in pod and "topologySpreadConstraints" not in pod  # behind feature flags
    container = pod["containers"][0]
    assert container["ports"] == [{"name": "http1", "containerPort": 8000, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz"}  # Knative probes the port it routes
    assert container["securityContext"]["runAsNonRoot"] is True and "lifecycle" not in container
    assert not objects(serverless, "Deployment", "api", env="prod")
    assert not objects(serverless, "Ingress", env="prod")
    assert find_object(serverless, "DomainMapping", "web.example.com", env="prod")["spec"]["ref"]["name"] == "web"
    # dev has no Knative: an ordinary Deployment, Service and compose service.
    assert find_object(serverless, "Deployment", "api", env="dev")


def test_clients_call_the_gateway_and_the_pods_admit_knative_alone(serverless):
    web = find_object(serverless, "Service", "web", env="prod")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in web["env"]}
    assert env["API_PORT"] == "80" and env["API_URL"] == "http://api:80"
    egress = find_object(serverless, "NetworkPolicy", "web", env="prod")["spec"]["egress"]
    assert {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kourier-system"}},
                    "podSelector": {"matchLabels": {"app": "3scale-kourier-gateway"}}}],
            "ports": [{"port": 8081, "protocol": "TCP"}]} in egress
    ingress = find_object(serverless, "NetworkPolicy", "api", env="prod")["spec"]["ingress"]
    assert [(r["from"][0]["podSelector"]["matchLabels"], r["ports"][0]["port"]) for r in ingress] == [
        ({"app": "3scale-kourier-gateway"}, 8012), ({"app": "activator"}, 8012), ({"app": "autoscaler"}, 9090)]
    compose = yaml.safe_load(serverless["compose/compose.yaml"])["services"]["web"]["environment"]
    assert (compose["API_PORT"], compose["API_URL"]) == ("8000", "http://api:8000")  # no gateway locally


def test_knative_objects_match_their_published_schemas_and_the_deployer_may_apply_them(serverless):
    for kind in ("Service", "DomainMapping"):
        assert_match_crd_schemas([o for o in objects(serverless, kind, env="prod")
                                  if o["apiVersion"].startswith("serving.")])
    rules = find_object(serverless, "Role", "deployer", env="prod")["rules"]
    assert deployer_grant("serving.knative.dev", "domainmappings", "services") in rules


SHARED_GATEWAY = "shipform.dev/knative-shared-gateway"


def test_a_cluster_local_service_states_who_else_reaches_it_and_why(serverless):
    """Knative's gateway and activator serve every Knative service of the cluster: a cluster-local one (api) is
    reached by any pod that reaches them, which it accepted with a reason; the Knative Service and its
    NetworkPolicy say so. A public one (web) is anyone's by design and states nothing; dev runs api as an ordinary
    Deployment, whose policy admits its declared clients alone and states nothing either."""
    expected = ("reached by any pod that reaches Knative's gateway (namespace kourier-system) or activator "
                "(namespace knative-serving), not only by its declared clients: the gateway routes by Host header to "
                "every cluster-local Knative service and the activator by revision header. Accepted: it serves the "
                "catalogue every pod may read")
    for kind in ("Service", "NetworkPolicy"):
        stated = find_object(serverless, kind, "api", env="prod")["metadata"]["annotations"][SHARED_GATEWAY]
        assert " ".join(stated.split()) == expected and max(map(len, stated.splitlines())) <= 100
        assert SHARED_GATEWAY not in find_object(serverless, kind, "web", env="prod")["metadata"].get(
            "annotations", {})
    assert SHARED_GATEWAY not in find_object(serverless, "NetworkPolicy", "api", env="dev")["metadata"].get(
        "annotations", {})


def test_the_pods_admit_knatives_components_by_namespace_and_pods_never_any_pod(serverless):
    for name in ("api", "web"):
        ingress = find_object(serverless, "NetworkPolicy", name, env="prod")["spec"]["ingress"]
        peers = [peer for rule in ingress for peer in rule["from"]]
        assert [(p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
                 p["podSelector"]["matchLabels"]) for p in peers] == [
            ("kourier-system", {"app": "3scale-kourier-gateway"}), ("knative-serving", {"app": "activator"}),
            ("knative-serving", {"app": "autoscaler"})]
        assert all(rule["ports"] for rule in ingress)  # each on its port alone


def test_a_cluster_local_service_is_refused_without_the_accepted_risk(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", knative=KnativeServing())
    with pytest.raises(ShipformError) as err:
        WebService(prod, "api", image="nginx:1.27.3", port=8000, serverless=Serverless())
    assert (err.value.path, err.value.prop) == ("shop/prod/api", "serverless")
    assert "accepted_risks={'knativeSharedGateway':" in err.value.fix
    # public, it is anyone's by design: no risk to accept
    WebService(prod, "web", image="nginx:1.27.3", port=8000, public=True, host="web.example.com",
               serverless=Serverless())
