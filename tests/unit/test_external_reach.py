"""An External given by host name alone (no cidrs) is reached at public addresses only: a name that can only be
private is refused; a name that is likely private (a managed database's endpoint, a database) is said by synth
and on the clients' NetworkPolicies; a public API's name is the normal case and says nothing; Cilium reaches any
name (toFQDNs), and cidrs= name the range, so neither leaves anything to say."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from conftest import exec_app, write_sources
from shipform.cli import cli
from shipform.errors import InvalidApp
from shipform.render.network import PUBLIC_ONLY
from shipform.synth.pipeline import render

HEAD = '''from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True{cilium})
'''
RDS = "orders.c9akciq32.eu-west-1.rds.amazonaws.com"


def synthesized(tmp_path, body: str, cilium: bool = False) -> tuple[dict[str, str], list[str]]:
    write_sources(tmp_path)
    notes: list[str] = []
    app = exec_app(HEAD.format(cilium=", cilium=True" if cilium else "") + body, tmp_path)
    return render(app, tmp_path / "out", notes), notes


def policy(files: dict[str, str], name: str) -> dict:
    return yaml.safe_load(files[f"k8s/dev/networkpolicy-shop-{name}.yaml"])


@pytest.mark.parametrize(("external", "reason"), [
    (f'host="{RDS}", port=5432', "is a managed service's endpoint (*.rds.amazonaws.com), which usually resolves "
                                 "inside the VPC"),
    ('host="db.example.com", port=6543, scheme="postgres"', "is a database (scheme 'postgres'), which usually runs "
                                                            "in a private network"),
    ('host="cache.example.com", port=6379', "is a database (port 6379), which usually runs in a private network"),
])
def test_a_likely_private_name_is_said_by_synth_and_on_the_policy(tmp_path, external, reason):
    files, notes = synthesized(tmp_path, f'db = External(dev, "db", {external})\n'
                                         'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[db])\n')
    host = external.split('"')[1]
    assert [n for n in notes if "warning" in n] == [
        f"shop/dev: warning: External 'db' ({host}) {reason}, and api may reach it at public addresses only. Fix: "
        "pass cidrs= with the subnet it is at, or Environment(cilium=True) where the cluster runs Cilium (a toFQDNs "
        "rule follows its name)"]
    api = policy(files, "api")
    assert api["metadata"]["annotations"][PUBLIC_ONLY].startswith(f"{host}:{external.split('port=')[1][:4]} {reason}")
    # What it does is still what it says: the public-address rule, to the server's port only.
    assert any(r["to"][0].get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for r in api["spec"]["egress"])


@pytest.mark.parametrize("body", [
    'pay = External(dev, "pay", host="api.stripe.com", port=443, scheme="https")\n',       # a public API
    f'pay = External(dev, "pay", host="{RDS}", port=5432, cidrs=["10.40.0.0/24"])\n',       # its range named
    'pay = External(dev, "pay", host="10.40.0.12", port=5432)\n',                           # its address given
])
def test_nothing_is_said_of_a_public_api_or_of_a_server_whose_range_is_known(tmp_path, body):
    files, notes = synthesized(tmp_path, body + 'WebService(dev, "api", image="nginx:1.27.3", port=80, '
                                                'connects_to=[pay])\n')
    assert not [n for n in notes if "warning" in n]
    assert PUBLIC_ONLY not in policy(files, "api")["metadata"].get("annotations", {})


@pytest.mark.parametrize("host", [RDS, "ledger.internal", "ledger"])
def test_under_cilium_any_name_is_reached_by_name_and_nothing_is_said(tmp_path, host):
    files, notes = synthesized(tmp_path, f'db = External(dev, "db", host="{host}", port=5432)\n'
                                         'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[db])\n',
                               cilium=True)
    assert not [n for n in notes if "warning" in n]
    assert PUBLIC_ONLY not in policy(files, "api")["metadata"].get("annotations", {})
    fqdn = yaml.safe_load(files["k8s/dev/ciliumnetworkpolicy-shop-api-fqdn.yaml"])
    assert {"toFQDNs": [{"matchName": host}], "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]} in \
        fqdn["spec"]["egress"]


def test_under_cilium_a_pod_resolves_only_its_external_hosts_and_the_cluster_s_own_zone(tmp_path):
    """DNS narrowed by name (tunnelling needs a name the cluster DNS forwards): the CiliumNetworkPolicy of every
    workload allows its External hosts and names under cluster.local (answered by the cluster DNS itself) at every
    depth its search list reaches; no NetworkPolicy allows the app's pods DNS at layer 4 (that would allow every
    name again); pods of no workload of the app keep allow-dns."""
    files, _ = synthesized(tmp_path, 'pay = External(dev, "pay", host="api.pay.example.com", port=443)\n'
                                     'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[pay])\n'
                                     'WebService(dev, "web", image="nginx:1.27.3", port=80)\n', cilium=True)
    api = yaml.safe_load(files["k8s/dev/ciliumnetworkpolicy-shop-api-fqdn.yaml"])["spec"]["egress"][0]
    web = yaml.safe_load(files["k8s/dev/ciliumnetworkpolicy-shop-web-fqdn.yaml"])["spec"]["egress"][0]
    zone = [{"matchName": "cluster.local"}] + [{"matchPattern": "*." * n + "cluster.local"} for n in range(1, 6)]
    assert api["toPorts"][0]["rules"]["dns"] == [{"matchName": "api.pay.example.com"}, *zone, {
        "matchPattern": "*.*.*.*.*.*.cluster.local"}]  # api.pay.example.com.<namespace>.svc.cluster.local
    assert web["toPorts"][0]["rules"]["dns"] == zone
    for name in ("api", "web"):
        assert not [r for r in policy(files, name)["spec"]["egress"] if any(p.get("port") == 53 for p in r["ports"])]
    allow_dns = yaml.safe_load(files["k8s/dev/networkpolicy-shop-allow-dns.yaml"])["spec"]
    assert allow_dns["podSelector"] == {"matchExpressions": [
        {"key": "app.kubernetes.io/part-of", "operator": "NotIn", "values": ["shop"]}]}


def test_without_cilium_dns_is_not_narrowed_by_name(tmp_path):
    """A NetworkPolicy cannot name DNS names: every pod may resolve any name (README, Network isolation)."""
    files, _ = synthesized(tmp_path, 'WebService(dev, "web", image="nginx:1.27.3", port=80)\n')
    assert not [p for p in files if "ciliumnetworkpolicy" in p]
    assert policy(files, "web")["spec"]["egress"][0]["ports"] == [{"port": 53, "protocol": "UDP"},
                                                                  {"port": 53, "protocol": "TCP"}]
    assert yaml.safe_load(files["k8s/dev/networkpolicy-shop-allow-dns.yaml"])["spec"]["podSelector"] == {}


@pytest.mark.parametrize("host", ["ledger", "ledger.internal", "db.corp", "vault.vault.svc",
                                  "db.team.svc.cluster.local", "nas.local", "router.home.arpa"])
def test_a_name_only_a_private_resolver_answers_is_refused_without_cidrs(tmp_path, host):
    with pytest.raises(InvalidApp) as caught:
        synthesized(tmp_path, f'db = External(dev, "db", host="{host}", port=5432)\n'
                              'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[db])\n')
    err = caught.value.problems[0]
    assert (err.path, err.prop, err.value) == ("shop/dev/db", "host", host)
    assert "without cidrs clients may reach public addresses only" in err.problem and "cidrs=" in err.fix


@pytest.mark.slow
def test_python_app_py_prints_the_warning_too(tmp_path, monkeypatch):
    """``App.synth()`` at the end of the user's file says what `shipform synth` says."""
    import os
    import subprocess
    import sys

    write_sources(tmp_path)
    monkeypatch.chdir(tmp_path)
    body = (f'db = External(dev, "db", host="{RDS}", port=5432)\n'
            'WebService(dev, "api", image="nginx:1.27.3", port=80, connects_to=[db])\n')
    (tmp_path / "app.py").write_text(HEAD.format(cilium="") + body + 'app.synth()\n')
    said = f"shop/dev: warning: External 'db' ({RDS})"
    result = CliRunner().invoke(cli, ["synth", "app.py", "--outdir", "out"], catch_exceptions=False)
    assert result.exit_code == 0 and said in result.stdout
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and said in run.stdout, run.stderr


@pytest.mark.parametrize(("host", "scheme", "port", "said"), [
    ("api.stripe.com", "https", 443, None),
    ("kafka.example.com", None, 9092, None),
    ("db.privatelink.postgres.database.azure.com", "postgres", 5432, "is a private link endpoint"),
    ("r.abc.0001.euw1.cache.amazonaws.com", None, 6380, "is a managed service's endpoint (*.cache.amazonaws.com)"),
    ("mongo.example.com", "mongodb+srv", 443, "is a database (scheme 'mongodb+srv')"),
])
def test_which_names_are_likely_private(host, scheme, port, said):
    from shipform.model.external_reach import likely_private

    found = likely_private(host, scheme, port)
    assert (found is None) if said is None else (found or "").startswith(said)
