"""A client's address of a server follows the protocol of the port it calls: http(s)/ws(s) URLs for those
protocols (HTTP/2 cleartext is http://), a gRPC target ``dns:///host:port`` for gRPC (which grpc-go's NewClient,
grpc-java's forTarget, grpc-js and grpcio take; a URL is no target for them), and only host and port for a
protocol shipform does not know. The same in Kubernetes and in compose, and for Externals by their scheme."""

from __future__ import annotations

import pytest
import yaml

from conftest import exec_app, write_sources
from shipform.model.engines import ENGINES
from shipform.synth.pipeline import render

SERVERS = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
for env in (Environment(app, "dev", local=True), Environment(app, "prod")):
    back = SecureNamespace(env, "back")
    front = SecureNamespace(env, "front")
    back.accepts_from.append(front)
    tracker = WebService(back, "tracker", image="nginx:1.27.3", ports={"grpc": 9090, "metrics": 9100})
    secure = WebService(back, "secure", image="nginx:1.27.3", ports={"https": 8443})
    h2 = WebService(back, "h2", image="nginx:1.27.3", ports={"h2c": 8080})
    live = WebService(back, "live", image="nginx:1.27.3", ports={"ws": 8083, "wss": 8084})
    broker = WebService(back, "broker", image="nginx:1.27.3", ports={"mqtt": 1883, "ws": 8083})
    plain = WebService(back, "plain", image="nginx:1.27.3", port=8000)
    pay = External(back, "pay", host="api.pay.example.com", port=443, scheme="grpc")
    ledger = External(back, "ledger", host="2001:db8::7", port=443, scheme="https")
    WebService(front, "web", image="nginx:1.27.3", port=3000, connects_to=[
        tracker, tracker.on("metrics"), secure, h2, live.on("wss"), broker, plain, pay, ledger])
'''


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("servers")
    write_sources(folder)
    files = render(exec_app(SERVERS, folder), folder / "out")
    k8s = yaml.safe_load(files["k8s/prod/deployment-front-web.yaml"])
    k8s_env = {e["name"]: e.get("value") for e in k8s["spec"]["template"]["spec"]["containers"][0]["env"]}
    compose_env = yaml.safe_load(files["compose/compose.yaml"])["services"]["web"]["environment"]
    return k8s_env, compose_env


def test_a_grpc_port_gives_a_grpc_target_and_no_url(outputs):
    k8s, compose = outputs
    assert k8s["TRACKER_TARGET"] == "dns:///tracker.back:9090" and compose["TRACKER_TARGET"] == "dns:///tracker:9090"
    assert "TRACKER_URL" not in k8s and "TRACKER_URL" not in compose
    assert (k8s["TRACKER_HOST"], k8s["TRACKER_PORT"]) == ("tracker.back", "9090")
    assert k8s["TRACKER_METRICS_PORT"] == "9100"  # the metrics port the client also uses


@pytest.mark.parametrize(("prefix", "k8s_url", "compose_url"), [
    ("SECURE", "https://secure.back:8443", "https://secure:8443"),
    ("H2", "http://h2.back:8080", "http://h2:8080"),            # HTTP/2 cleartext is still an http:// URL
    ("LIVE", "wss://live.back:8084", "wss://live:8084"),        # the port the client named, with its scheme
    ("PLAIN", "http://plain.back:8000", "http://plain:8000"),   # a single port= is HTTP
    ("LEDGER", "https://[2001:db8::7]:443", "https://[2001:db8::7]:443"),
])
def test_a_url_has_the_scheme_of_the_ports_protocol(outputs, prefix, k8s_url, compose_url):
    k8s, compose = outputs
    assert (k8s[f"{prefix}_URL"], compose[f"{prefix}_URL"]) == (k8s_url, compose_url)
    assert f"{prefix}_TARGET" not in k8s


def test_a_port_of_an_unknown_protocol_gets_host_and_port_only(outputs):
    k8s, compose = outputs
    assert (k8s["BROKER_HOST"], k8s["BROKER_PORT"]) == ("broker.back", "1883")
    assert not {"BROKER_URL", "BROKER_TARGET"} & (set(k8s) | set(compose))  # never 'http://broker:1883' for MQTT


def test_an_external_grpc_server_is_a_grpc_target(outputs):
    k8s, compose = outputs
    assert k8s["PAY_TARGET"] == compose["PAY_TARGET"] == "dns:///api.pay.example.com:443"
    assert "PAY_URL" not in k8s


SERVERLESS = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", knative=KnativeServing())
for env in (dev, prod):
    api = WebService(env, "api", image="nginx:1.27.3", ports={"grpc": 50051},
                     serverless=Serverless() if env is prod else None,
                     accepted_risks={"knativeSharedGateway": "a test app: no other pod runs in its cluster"})
    WebService(env, "web", image="nginx:1.27.3", port=3000, connects_to=[api])
'''


def test_a_serverless_grpc_service_is_a_target_at_the_gateway(tmp_path):
    write_sources(tmp_path)
    files = render(exec_app(SERVERLESS, tmp_path), tmp_path / "out")
    web = yaml.safe_load(files["k8s/prod/deployment-shop-web.yaml"])
    env = {e["name"]: e.get("value") for e in web["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["API_TARGET"] == "dns:///api:80" and "API_URL" not in env
    assert yaml.safe_load(files["compose/compose.yaml"])["services"]["web"]["environment"]["API_TARGET"] == \
        "dns:///api:50051"


def test_every_database_url_has_a_scheme_its_drivers_take():
    """The URL scheme of each engine (and of its TLS variant), as its client libraries read URLs."""
    taken = {"postgres": {"postgresql"}, "mysql": {"mysql"}, "mariadb": {"mysql", "mariadb"},
             "redis": {"redis", "rediss"}, "mongodb": {"mongodb"}}
    for name, engine in ENGINES.items():
        schemes = {engine.url_scheme} | ({engine.tls.url_scheme} if engine.tls is not None else set())
        assert schemes <= taken[name], name
