"""Security facts of the synthesized output, each asserted explicitly (not only through a snapshot, which
``--snapshot-update`` would accept): who reaches a Service from outside the cluster (source ranges), where
egress may go (Externals' address ranges, the public internet without private and link-local ranges, cluster
DNS), the namespaces' default-deny and Pod Security labels, and the RBAC a SecureNamespace grants.

Expected values are written out here, never imported from the renderers, so a change there fails a test.
Mesh policies are in test_security_mesh.py, pods and tokens in test_security_pods.py."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from shipform import (
    App,
    Backup,
    DataStorage,
    Environment,
    External,
    Health,
    HostPath,
    Issuer,
    NodeAgent,
    Quota,
    S3Target,
    SecretRef,
    SecureNamespace,
    StatefulDB,
    Subject,
    WebService,
)
from shipform.testing import find_object, objects, synthesize

DNS_RULE = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
# IANA's special-purpose ranges that are not globally reachable, multicast, and Azure's host address; in IPv6 also
# each IPv4 one in the NAT64 prefix 64:ff9b::/96 (64:ff9b::a9fe:0/112 is 169.254.0.0/16).
NOT_PUBLIC_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "168.63.129.16/32", "169.254.0.0/16",
                 "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
                 "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"]
NOT_PUBLIC_V6 = ["::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/104", "64:ff9b::a00:0/104", "64:ff9b::6440:0/106",
                 "64:ff9b::7f00:0/104", "64:ff9b::a83f:8110/128", "64:ff9b::a9fe:0/112", "64:ff9b::ac10:0/108",
                 "64:ff9b::c000:0/120", "64:ff9b::c000:200/120", "64:ff9b::c058:6300/120", "64:ff9b::c0a8:0/112",
                 "64:ff9b::c612:0/111", "64:ff9b::c633:6400/120", "64:ff9b::cb00:7100/120", "64:ff9b::e000:0/100",
                 "64:ff9b::f000:0/100", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
                 "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"]
PUBLIC_INTERNET = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": NOT_PUBLIC_V4}},
                   {"ipBlock": {"cidr": "::/0", "except": NOT_PUBLIC_V6}}]
RANGES = ["203.0.113.0/24", "198.51.100.7/32"]
WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ = ["get", "list", "watch"]


@pytest.fixture(scope="module")
def files(module_app_root) -> dict[str, str]:
    """A SecureNamespace with deployers and viewers, services exposed with and without source ranges, a client of
    three servers outside the cluster, a database backed up to S3, and a node agent's namespace; plus a workload
    straight in the Environment (the app's plain namespace)."""
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", domain="example.com", tls_issuer=Issuer(name="internal-ca"),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(prod, "store", quota=Quota(load_balancers=2, node_ports=4),
                         deployers=[Subject.group("ci"),
                                    Subject.service_account("argocd", "argocd-application-controller")],
                         viewers=[Subject.group("devs"), Subject.user("ana@example.com")])
    ledger = External(prod, "ledger", host="ledger.internal", port=5432, cidrs=["10.40.0.0/24", "10.41.0.0/24"])
    smtp = External(prod, "smtp", host="192.0.2.25", port=587)
    payments = External(prod, "payments", host="api.payments.example.com", port=443)
    WebService(ns, "broker", image="ghcr.io/acme/broker:1.0.0", ports={"mqtt": 1883, "ws": 8083},
               expose="load-balancer", source_ranges=RANGES)
    WebService(ns, "debug", image="ghcr.io/acme/debug:1.0.0", port=9000, expose="node-port",
               source_ranges=["192.0.2.0/24"])
    WebService(ns, "open", image="ghcr.io/acme/open:1.0.0", port=9001, expose="load-balancer")
    WebService(ns, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[ledger, smtp, payments])
    StatefulDB(ns, "db", engine="postgres", version="16",
               backup=Backup(schedule="@daily", to=S3Target(bucket="acme-backups",
                                                            credentials=SecretRef("backup-s3", "credentials"),
                                                            restore_credentials=SecretRef("s3-read", "credentials"))))
    agents = SecureNamespace(prod, "agents", host_access="the log shipper reads each node's /var/log",
                             quota=Quota(cpu_limit="16"))
    NodeAgent(agents, "shipper", image="ghcr.io/acme/shipper:1.0.0", host_paths={"/host/log": HostPath("/var/log")},
              health=Health.exec(["/bin/health"]))
    WebService(prod, "plain", image="ghcr.io/acme/plain:1.0.0", port=8080)
    return synthesize(app)


def policy(files: dict[str, str], name: str, namespace: str = "store") -> dict[str, Any]:
    return find_object(files, "NetworkPolicy", name, namespace)["spec"]


# Source ranges: a Service reached from outside the cluster admits only the stated client ranges.

def test_a_load_balancer_with_source_ranges_admits_only_them(files):
    service = find_object(files, "Service", "broker")["spec"]
    assert service["type"] == "LoadBalancer"
    assert service["loadBalancerSourceRanges"] == RANGES
    assert service["externalTrafficPolicy"] == "Local"  # the client's address reaches the pod's NetworkPolicy
    assert policy(files, "broker")["ingress"] == [{
        "from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}, {"ipBlock": {"cidr": "198.51.100.7/32"}}],
        "ports": [{"port": 1883, "protocol": "TCP"}, {"port": 8083, "protocol": "TCP"}]}]


def test_a_node_port_with_source_ranges_admits_only_them_in_its_network_policy(files):
    """A NodePort Service has no loadBalancerSourceRanges field: the NetworkPolicy alone narrows the clients."""
    service = find_object(files, "Service", "debug")["spec"]
    assert service["type"] == "NodePort"
    assert "loadBalancerSourceRanges" not in service
    assert service["externalTrafficPolicy"] == "Local"
    assert policy(files, "debug")["ingress"] == [{"from": [{"ipBlock": {"cidr": "192.0.2.0/24"}}],
                                                  "ports": [{"port": 9000, "protocol": "TCP"}]}]


def test_a_load_balancer_without_source_ranges_is_open_to_every_address(files):
    service = find_object(files, "Service", "open")["spec"]
    assert service["type"] == "LoadBalancer" and service["externalTrafficPolicy"] == "Local"
    assert "loadBalancerSourceRanges" not in service
    assert policy(files, "open")["ingress"] == [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}},
                                                          {"ipBlock": {"cidr": "::/0"}}],
                                                 "ports": [{"port": 9001, "protocol": "TCP"}]}]


def test_only_the_service_exposed_without_ranges_admits_any_address(files):
    anywhere = sorted(o["metadata"]["name"] for o in objects(files, "NetworkPolicy")
                      for rule in o["spec"].get("ingress", []) for peer in rule["from"]
                      if peer.get("ipBlock", {}).get("cidr") in ("0.0.0.0/0", "::/0"))
    assert anywhere == ["open", "open"]


def test_cluster_services_stay_inside_the_cluster(files):
    for name in ("api", "db", "plain"):
        service = find_object(files, "Service", name)["spec"]
        assert service["type"] == "ClusterIP" and "externalTrafficPolicy" not in service


# Egress: Externals at their ranges, the internet without private ranges, DNS to kube-dns alone.

def test_egress_reaches_externals_at_their_ranges_and_the_internet_without_private_ranges(files):
    assert policy(files, "api")["egress"] == [
        DNS_RULE,
        {"to": [{"ipBlock": {"cidr": "10.40.0.0/24"}}, {"ipBlock": {"cidr": "10.41.0.0/24"}}],
         "ports": [{"port": 5432, "protocol": "TCP"}]},
        {"to": PUBLIC_INTERNET, "ports": [{"port": 443, "protocol": "TCP"}]},
        {"to": [{"ipBlock": {"cidr": "192.0.2.25/32"}}], "ports": [{"port": 587, "protocol": "TCP"}]},
    ]


NOT_REACHED = ["169.254.169.254", "168.63.129.16", "100.100.100.200", "0.0.0.0", "0.1.2.3", "10.1.2.3", "127.0.0.1",
               "172.20.0.1", "192.168.1.1", "100.64.0.1", "192.0.0.8", "192.0.2.1", "192.88.99.1", "198.18.0.1",
               "198.19.255.255", "198.51.100.1", "203.0.113.1", "224.0.0.251", "239.255.255.250", "240.0.0.1",
               "255.255.255.255", "::", "::1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1",
               "64:ff9b::a83f:8110", "64:ff9b:1::1", "100::1", "2001::1", "2001:db8::1", "2002:a9fe:a9fe::1", "3fff::1",
               "5f00::1", "fd00:ec2::254", "fe80::1", "fec0::1", "ff02::1"]
REACHED = ["8.8.8.8", "1.1.1.1", "52.94.0.1", "100.128.0.1", "192.0.3.1", "198.20.0.1", "223.255.255.254",
           "2606:4700:4700::1111", "2a00:1450:4001::1", "64:ff9b::808:808", "64:ff9b::3400:1"]


def _admits(block: dict[str, Any], address: str) -> bool:
    ip = ipaddress.ip_address(address)
    inside = ipaddress.ip_network(block["cidr"])
    return ip.version == inside.version and ip in inside and not any(
        ip in ipaddress.ip_network(c) for c in block.get("except", []) if ipaddress.ip_network(c).version == ip.version)


def test_a_rule_for_any_public_address_reaches_no_private_metadata_documentation_or_reserved_address(files):
    """169.254.169.254 (instance credentials) and Azure's 168.63.129.16 (the WireServer), also through NAT64, and
    every range IANA marks not globally reachable, are left out of every public rule; public addresses, also
    through NAT64, are in."""
    public = [[peer["ipBlock"] for peer in rule["to"]] for o in objects(files, "NetworkPolicy")
              for rule in o["spec"].get("egress", []) if any(p.get("ipBlock", {}).get("cidr") == "0.0.0.0/0"
                                                             for p in rule["to"])]
    assert len(public) == 3  # api's payments, the backup's upload, the restore's fetch
    for blocks in public:
        assert [a for a in NOT_REACHED if any(_admits(b, a) for b in blocks)] == []
        assert [a for a in REACHED if not any(_admits(b, a) for b in blocks)] == []


def test_under_cilium_a_server_known_by_name_is_reached_by_that_name_alone(module_app_root):
    app = App("shop", registry="ghcr.io/acme", root=module_app_root)
    prod = Environment(app, "prod", cilium=True, tls_issuer=Issuer(name="internal-ca"),
                       data_storage=DataStorage("ebs.csi.aws.com"))
    payments = External(prod, "payments", host="api.payments.example.com", port=443)
    WebService(prod, "api", image="ghcr.io/acme/api:1.0.0", port=8000, connects_to=[payments])
    files = synthesize(app)
    # DNS is the Cilium policy's alone, by name: a layer-4 DNS rule here would allow every name again.
    assert find_object(files, "NetworkPolicy", "api")["spec"]["egress"] == []
    zone = [{"matchName": "cluster.local"}] + [{"matchPattern": "*." * n + "cluster.local"} for n in range(1, 7)]
    assert find_object(files, "CiliumNetworkPolicy", "api-fqdn")["spec"]["egress"] == [
        {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                          "k8s:k8s-app": "kube-dns"}}],
         "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                      "rules": {"dns": [{"matchName": "api.payments.example.com"}, *zone]}}]},
        {"toFQDNs": [{"matchName": "api.payments.example.com"}],
         "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]


def test_a_backup_reaches_its_database_and_the_public_internet_on_https_alone(files):
    assert policy(files, "db-backup")["egress"] == [
        DNS_RULE,
        {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "db",
                                                 "app.kubernetes.io/part-of": "shop"}}}],
         "ports": [{"port": 5432, "protocol": "TCP"}]},
        {"to": PUBLIC_INTERNET, "ports": [{"port": 443, "protocol": "TCP"}]}]


def test_dns_goes_to_kube_dns_on_port_53_only(files):
    for o in objects(files, "NetworkPolicy"):
        name, egress = o["metadata"]["name"], o["spec"].get("egress", [])
        dns = [rule for rule in egress if any(p["port"] == 53 for p in rule["ports"])]
        assert dns == ([] if name == "default-deny" else [DNS_RULE]), name
        assert name == "default-deny" or egress[0] == DNS_RULE


def test_every_rule_names_its_peers_and_ports(files):
    """A rule without peers or ports would allow every peer or every port."""
    for o in objects(files, "NetworkPolicy"):
        rules = [(r.get("from"), r.get("ports")) for r in o["spec"].get("ingress", [])]
        rules += [(r.get("to"), r.get("ports")) for r in o["spec"].get("egress", [])]
        assert all(peers and ports for peers, ports in rules), o["metadata"]["name"]


# Namespaces: default-deny, Pod Security.

def test_every_namespace_denies_everything_by_default_and_allows_dns(files):
    """SecureNamespaces, and the namespace of workloads placed straight in the Environment, alike."""
    for ns in ("store", "agents", "shop"):
        assert find_object(files, "NetworkPolicy", "default-deny", ns)["spec"] == {
            "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert find_object(files, "NetworkPolicy", "allow-dns", ns)["spec"] == {
            "podSelector": {}, "policyTypes": ["Egress"], "egress": [DNS_RULE]}


def test_every_workload_has_its_own_policy_in_both_directions(files):
    """Each pod is isolated by a policy of its own, whatever its namespace's defaults."""
    names = {o["metadata"]["name"] for kind in ("Deployment", "StatefulSet", "CronJob", "DaemonSet")
             for o in objects(files, kind)}
    assert names == {"broker", "debug", "open", "api", "db", "db-backup", "db-restore", "shipper", "plain"}
    for name in names:
        spec = find_object(files, "NetworkPolicy", name)["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": name,
                                                       "app.kubernetes.io/part-of": "shop"}}


def pod_security(files: dict[str, str], namespace: str) -> dict[str, str]:
    labels = find_object(files, "Namespace", namespace)["metadata"]["labels"]
    return {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")}


def test_namespaces_enforce_pod_security_restricted(files):
    assert sorted(o["metadata"]["name"] for o in objects(files, "Namespace")) == ["agents", "shop", "store"]
    for namespace in ("store", "shop"):  # a SecureNamespace, and the one of workloads placed in the Environment
        assert pod_security(files, namespace) == {
            "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.33",
            "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.33",
            "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.33"}


def test_a_node_agents_namespace_enforces_privileged_and_still_audits_and_warns_at_restricted(files):
    assert pod_security(files, "agents") == {
        "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/enforce-version": "v1.33",
        "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.33",
        "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.33"}


# RBAC: the deployer may apply exactly the kinds deployed into its namespace, never Secrets or RBAC; the viewer
# reads the same kinds, the pods and their logs.

DEPLOYED = [([""], ["serviceaccounts", "services"]), (["apps"], ["deployments", "statefulsets"]),
            (["batch"], ["cronjobs"]), (["cert-manager.io"], ["certificates"]),
            (["networking.k8s.io"], ["networkpolicies"])]


def test_the_deployer_role_writes_exactly_the_kinds_deployed_there(files):
    assert find_object(files, "Role", "deployer", "store")["rules"] == [
        {"apiGroups": groups, "resources": resources, "verbs": WRITE} for groups, resources in DEPLOYED]


def test_the_viewer_role_reads_the_same_kinds_and_the_pods_logs_and_events(files):
    assert find_object(files, "Role", "viewer", "store")["rules"] == [
        *({"apiGroups": groups, "resources": resources, "verbs": READ} for groups, resources in DEPLOYED),
        {"apiGroups": [""], "resources": ["pods", "pods/log", "events"], "verbs": READ}]


def test_no_role_grants_secrets_rbac_or_wildcards(files):
    for role in objects(files, "Role"):
        for rule in role["rules"]:
            assert not {"secrets", "roles", "rolebindings", "namespaces", "*"} & set(rule["resources"])
            assert "*" not in rule["verbs"] and "*" not in rule["apiGroups"]
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])


def test_the_roles_are_bound_to_exactly_the_given_subjects(files):
    deployer = find_object(files, "RoleBinding", "deployer", "store")
    assert deployer["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"}
    assert deployer["subjects"] == [
        {"kind": "Group", "name": "ci", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "ServiceAccount", "name": "argocd-application-controller", "namespace": "argocd"}]
    viewer = find_object(files, "RoleBinding", "viewer", "store")
    assert viewer["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "viewer"}
    assert viewer["subjects"] == [{"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                                  {"kind": "User", "name": "ana@example.com", "apiGroup": "rbac.authorization.k8s.io"}]


def test_only_namespaces_with_deployers_or_viewers_get_roles_and_nothing_is_cluster_wide(files):
    assert sorted((o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects(files)
                  if o["apiVersion"].startswith("rbac.authorization.k8s.io/")) == [
        ("Role", "store", "deployer"), ("Role", "store", "viewer"),
        ("RoleBinding", "store", "deployer"), ("RoleBinding", "store", "viewer")]
    assert not [path for path, text in files.items() if "kind: ClusterRole" in text]
