"""Accepted risks are written where each scanner reads them, with the reason, and only for what is there."""

from __future__ import annotations

import yaml

from conftest import exec_app, write_sources
from shipform.synth.pipeline import render

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
prod = Environment(app, "prod")
team = SecureNamespace(prod, "team", deployers=[Subject.group("ci")])
other = SecureNamespace(prod, "other")
WebService(team, "api", image="nginx:1.27.3", port=80)
Worker(other, "w", image="busybox:1.37.0", health=Health.none("exits when its queue connection breaks"))
'''


def test_the_deployer_role_is_accepted_for_trivy_with_a_statement_and_its_file_only(tmp_path):
    write_sources(tmp_path)
    files = render(exec_app(APP, tmp_path), tmp_path / "out")
    ignore = yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
    roles = [e for e in ignore if e["id"] in ("KSV-0048", "KSV-0056")]
    assert [(e["id"], e["paths"]) for e in roles] == [
        ("KSV-0048", ["k8s/prod/role-team-deployer.yaml"]), ("KSV-0056", ["k8s/prod/role-team-deployer.yaml"])]
    statements = [" ".join(e["statement"].split()) for e in roles]
    assert all("namespace team only" in s and "cannot get, list or watch them through the API" in s
               and "a pod it creates may mount any Secret of namespace team" in s for s in statements)
    # Every namespace of prod is a SecureNamespace: trivy's file-by-file namespace checks are accepted there.
    guarded = {e["id"]: e["paths"] for e in ignore if e["id"] in ("KSV-0039", "KSV-0040")}
    assert guarded == {"KSV-0039": ["k8s/prod/**"], "KSV-0040": ["k8s/prod/**"]}
    assert "k8s/prod/role-other-deployer.yaml" not in files  # no deployers, no Role


def test_a_worker_without_health_carries_its_reason_for_checkov(tmp_path):
    write_sources(tmp_path)
    files = render(exec_app(APP, tmp_path), tmp_path / "out")
    worker = yaml.safe_load(files["k8s/prod/deployment-other-w.yaml"])
    assert worker["metadata"]["annotations"] == {
        "checkov.io/skip1": "CKV_K8S_8=no health check: exits when its queue connection breaks",
        "checkov.io/skip2": "CKV_K8S_9=no health check: exits when its queue connection breaks"}
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert not {"livenessProbe", "readinessProbe", "startupProbe"} & set(container)


def test_namespaces_without_a_secure_namespace_get_the_same_guards(tmp_path):
    """A workload outside a SecureNamespace lands in a namespace with the defaults of one: default-deny, DNS,
    quota and LimitRange (no RBAC), so trivy's namespace checks are accepted there too."""
    write_sources(tmp_path)
    source = APP.replace('WebService(team, "api"', 'WebService(prod, "api"')
    files = render(exec_app(source, tmp_path), tmp_path / "out")
    for name in ("namespace-shop", "networkpolicy-shop-default-deny", "networkpolicy-shop-allow-dns",
                 "resourcequota-shop-quota", "limitrange-shop-container-defaults"):
        assert f"k8s/prod/{name}.yaml" in files
    assert not any(p.startswith(("k8s/prod/role-shop", "k8s/prod/rolebinding-shop")) for p in files)
    ignore = yaml.safe_load(files[".trivyignore.yaml"])["misconfigurations"]
    assert {e["id"] for e in ignore if e["paths"] == ["k8s/prod/**"]} == {"KSV-0039", "KSV-0040", "KSV-0125"}
