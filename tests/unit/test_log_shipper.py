"""LogShipper: Fluent Bit on every node reads only the node's container logs (read-only, no writable host folder),
reads only pods and namespaces of the API, reaches only DNS, the API server and its destination, and takes its
credentials from Secrets only. Its configuration is parsed back and checked key by key, and with Fluent Bit
installed it passes ``fluent-bit --dry-run``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shipform import (
    ApiServer,
    App,
    Elasticsearch,
    Environment,
    External,
    LogShipper,
    Loki,
    Otlp,
    Quota,
    SecretRef,
    SecureNamespace,
)
from shipform.model.fluent_bit import IMAGE
from shipform.testing import find_object, synthesize
from shipform.validators.manifests import K8S_VERSIONS  # the versions the gate validates against

NS = "logging"
SHIPPERS = ("to-loki", "to-es", "to-otlp")
PASSWORD = "hunter2-value"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    from conftest import write_sources

    root = tmp_path_factory.mktemp("app")
    write_sources(root)
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod")
    ns = SecureNamespace(prod, NS, host_access="the log shippers read each node's container logs",
                         quota=Quota(cpu="8", cpu_limit="40", memory_limit="32Gi", pods=80))
    loki = External(ns, "loki", host="logs.example.com", port=443, scheme="https")
    search = External(ns, "search", host="10.1.2.3", port=9200, scheme="http")
    collector = External(ns, "collector", host="otel.example.com", port=4318, cidrs=["203.0.113.0/24"])
    api = ApiServer(cidrs=["10.0.0.2/32"], port=6443)
    LogShipper(ns, "to-loki", to=Loki(at=loki, tenant="shop", user="shop", password=SecretRef("loki-push", "token")),
               api_server=api)
    LogShipper(ns, "to-es", to=Elasticsearch(at=search, index="logs-prod", user="shipper",
                                             password=SecretRef("es-shipper", "password")), api_server=api)
    LogShipper(ns, "to-otlp", to=Otlp(at=collector), api_server=api, json=False)
    return synthesize(app)


def pod(files: dict[str, str], name: str) -> dict[str, Any]:
    return find_object(files, "DaemonSet", name, NS)["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def fluent_bit_config(files: dict[str, str], name: str) -> str:
    volume = next(v for v in pod(files, name)["volumes"] if "configMap" in v and v["name"] == "config-files")
    config_map = find_object(files, "ConfigMap", volume["configMap"]["name"], NS)
    return str(config_map["data"]["fluent-bit.conf"])


def sections(config: str) -> list[tuple[str, dict[str, str]]]:
    """Fluent Bit's classic format: ``[SECTION]`` headers, then indented ``key value`` lines."""
    found: list[tuple[str, dict[str, str]]] = []
    for line in config.splitlines():
        if line.startswith("["):
            found.append((line.strip("[]"), {}))
        elif line.strip():
            assert line.startswith("    "), line
            key, _, value = line.strip().partition(" ")
            assert key not in found[-1][1], f"{key} twice in [{found[-1][0]}]"
            found[-1][1][key] = value.strip()
    return found


def section(config: str, name: str) -> dict[str, str]:
    return next(s for n, s in sections(config) if n == name)


@pytest.mark.parametrize("name", SHIPPERS)
def test_reads_the_node_container_logs_read_only_and_writes_nothing_there(files, name):
    spec = pod(files, name)
    host = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    assert sorted(host.values()) == ["/var/log/containers", "/var/log/pods"]
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    for volume, path in host.items():
        assert mounts[volume]["mountPath"] == path  # the links in /var/log/containers name /var/log/pods
        assert mounts[volume]["readOnly"] is True
    state = section(fluent_bit_config(files, name), "INPUT")["DB"]
    assert any(state.startswith(m["mountPath"] + "/") for m in mounts.values()
               if any(v["name"] == m["name"] and "emptyDir" in v for v in spec["volumes"]))


@pytest.mark.parametrize("name", SHIPPERS)
def test_runs_as_a_non_root_user_in_the_root_group_without_capabilities(files, name):
    spec = pod(files, name)
    context = spec["containers"][0]["securityContext"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] > 0
    assert spec["securityContext"]["supplementalGroups"] == [0]  # the logs are 0640 root:root
    assert context["capabilities"] == {"drop": ["ALL"]} and context["privileged"] is False
    assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
    assert not spec.get("hostNetwork") and spec["containers"][0]["image"].startswith(IMAGE)
    ignored = yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
    accepted = {entry["id"] for entry in ignored if f"k8s/prod/*-{NS}-{name}.yaml" in entry["paths"]}
    assert accepted == {"KSV-0023", "KSV-0036", "KSV-0116"}  # host folders, the projected token, group 0


@pytest.mark.parametrize("name", SHIPPERS)
def test_reads_pods_and_namespaces_of_the_api_only(files, name):
    role = find_object(files, "ClusterRole", f"{NS}-{name}")
    reading = {"apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": ["get", "list", "watch"]}
    assert role["rules"] == [reading]
    binding = find_object(files, "ClusterRoleBinding", f"{NS}-{name}")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": f"{NS}-{name}"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": NS}]
    spec = pod(files, name)
    assert spec["automountServiceAccountToken"] is False  # the token is projected for this container alone
    token = next(v for v in spec["volumes"] if v["name"] == "api-token")["projected"]["sources"][0]
    assert token == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "api-token")
    assert mount == {"name": "api-token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                     "readOnly": True}


@pytest.mark.parametrize(("name", "destination"), [
    ("to-loki", {"ipBlock": "public", "port": 443}),
    ("to-es", {"ipBlock": "10.1.2.3/32", "port": 9200}),
    ("to-otlp", {"ipBlock": "203.0.113.0/24", "port": 4318})])
def test_admits_nothing_in_and_reaches_dns_the_api_server_and_its_destination_only(files, name, destination):
    policy = find_object(files, "NetworkPolicy", name, NS)["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and policy["ingress"] == []
    dns, out, api = policy["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {p["port"] for p in dns["ports"]} == {53}
    assert out["ports"] == [{"port": destination["port"], "protocol": "TCP"}]
    blocks = [peer["ipBlock"] for peer in out["to"]]
    if destination["ipBlock"] == "public":
        assert blocks[0]["cidr"] == "0.0.0.0/0" and "10.0.0.0/8" in blocks[0]["except"]
    else:
        assert blocks == [{"cidr": destination["ipBlock"]}]
    assert api == {"to": [{"ipBlock": {"cidr": "10.0.0.2/32"}}], "ports": [{"port": 6443, "protocol": "TCP"}]}


def test_credentials_come_from_secrets_only(files):
    for name, var, secret in (("to-loki", "LOKI_PASSWORD", ("loki-push", "token")),
                              ("to-es", "ES_PASSWORD", ("es-shipper", "password"))):
        env = {e["name"]: e for e in pod(files, name)["containers"][0]["env"]}
        assert env[var] == {"name": var, "valueFrom": {"secretKeyRef": {"name": secret[0], "key": secret[1]}}}
        output = section(fluent_bit_config(files, name), "OUTPUT")
        assert output["HTTP_Passwd"] == "${" + var + "}"
        assert "CKV_K8S_35" in find_object(files, "DaemonSet", name, NS)["metadata"]["annotations"]["checkov.io/skip3"]
    assert not any(PASSWORD in text for text in files.values())
    assert "HTTP_Passwd" not in section(fluent_bit_config(files, "to-otlp"), "OUTPUT")


def test_the_configuration_tails_container_logs_adds_metadata_and_merges_json(files):
    config = fluent_bit_config(files, "to-loki")
    assert [n for n, _ in sections(config)] == ["SERVICE", "INPUT", "FILTER", "OUTPUT"]
    tail = section(config, "INPUT")
    assert tail["Name"] == "tail" and tail["Path"] == "/var/log/containers/*.log"
    assert tail["multiline.parser"] == "cri, docker" and tail["Tag"] == "kube.*"
    kube = section(config, "FILTER")
    assert kube["Name"] == "kubernetes" and kube["Match"] == "kube.*" and kube["Merge_Log"] == "On"
    assert kube["Keep_Log"] == "Off" and kube["Kube_Tag_Prefix"] == "kube.var.log.containers."
    assert kube["Kube_Token_File"] == "/var/run/secrets/kubernetes.io/serviceaccount/token"
    assert section(fluent_bit_config(files, "to-otlp"), "FILTER")["Merge_Log"] == "Off"  # json=False


@pytest.mark.parametrize(("name", "expected"), [
    ("to-loki", {"Name": "loki", "Host": "logs.example.com", "Port": "443", "Tenant_ID": "shop", "HTTP_User": "shop",
                 "tls": "On", "tls.verify": "On", "Line_Format": "json"}),
    ("to-es", {"Name": "es", "Host": "10.1.2.3", "Port": "9200", "Index": "logs-prod", "Suppress_Type_Name": "On",
               "HTTP_User": "shipper", "tls": "Off"}),
    ("to-otlp", {"Name": "opentelemetry", "Host": "otel.example.com", "Port": "4318", "Logs_uri": "/v1/logs",
                 "tls": "On", "tls.verify": "On"})])
def test_each_destination_output(files, name, expected):
    output = section(fluent_bit_config(files, name), "OUTPUT")
    assert {k: output.get(k) for k in expected} == expected


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_objects_are_valid_kubernetes(files, version):
    for path, text in files.items():
        if f"-{NS}-" in path and path.endswith(".yaml") and "/k8s/" in path:
            for doc in yaml.safe_load_all(text):
                if doc:
                    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.skipif(shutil.which("fluent-bit") is None,
                    reason="fluent-bit is not installed here (no Debian package in this environment's apt sources)")
def test_fluent_bit_accepts_the_configuration(files, tmp_path: Path):
    for name in SHIPPERS:
        config = tmp_path / f"{name}.conf"
        config.write_text(fluent_bit_config(files, name))
        run = subprocess.run(["fluent-bit", "--dry-run", "-c", str(config)], capture_output=True, text=True,
                             env={"LOKI_PASSWORD": "x", "ES_PASSWORD": "x"}, timeout=60, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
