"""The layers: renderers are pure functions of the spec, each construct produces its spec once per synth,
the handles constructs expose are exactly the objects rendered for them, and the imports point down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from shipform import spec
from shipform.model.workload import Workload
from shipform.render import compose, k8s
from shipform.synth.kubernetes import environment_manifests
from shipform.synth.pipeline import render
from shipform.values.health import Health
from shipform.values.quantity import Cpu, Memory
from shipform.values.resources import ComputeResources

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def platform(platform_app):
    return platform_app[0]


def hand_made_service() -> spec.Workload:
    return spec.Workload(
        path="demo/dev/hello", name="hello", namespace="demo", component="web-service", app="demo",
        version="1.0.0", image="nginx:1.27.3", run=spec.Continuous(replicas=2), ports=(spec.Port("http", 8080),),
        health=Health.http("/"), env=(spec.EnvVar("GREETING", spec.Plain("hi")),),
        resources=ComputeResources(Cpu(100), Memory(128 * 2**20, "binary"), Cpu(500), Memory(256 * 2**20, "binary")))


def test_renderers_need_only_the_spec():
    env = spec.Environment(app="demo", name="dev", local=True, gitops="argocd",
                           namespaces=(spec.Namespace("demo", "demo", "v1.33"),), workloads=(hand_made_service(),))
    objects = k8s.environment_objects(env)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Namespace", "demo"), ("ServiceAccount", "hello"), ("NetworkPolicy", "hello"), ("Deployment", "hello"),
        ("Service", "hello"), ("PodDisruptionBudget", "hello")]
    deployment = objects[3]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": "500m", "memory": "256Mi", "ephemeral-storage": "64Mi"}
    doc = compose.compose_document(spec.App("demo", "1.0.0", (env,)), Path("/o/compose"), Path("/o/docker"))
    assert doc is not None and doc["services"]["hello"]["environment"] == {"GREETING": "hi"}


def test_each_workload_produces_its_spec_once_per_render(platform, tmp_path, monkeypatch):
    calls: list[str] = []
    original = Workload.to_spec

    def counting(self: Workload, clients=None) -> spec.Workload:
        calls.append(self.path)
        return original(self, clients)

    monkeypatch.setattr(Workload, "to_spec", counting)
    render(platform, tmp_path)
    workloads = [w.path for env in platform.environments for w in env.workloads]
    assert sorted(calls) == sorted(workloads)


MESH_POLICY_KINDS = ("Server", "AuthorizationPolicy", "MeshTLSAuthentication", "HTTPLocalRateLimitPolicy",
                     "NetworkAuthentication", "PeerAuthentication", "VirtualService", "DestinationRule", "EnvoyFilter")


def test_handles_are_exactly_the_rendered_objects(platform):
    for env in platform.environments:
        rendered = environment_manifests(env, env.to_spec())
        keys = [(m["kind"], m["metadata"].get("namespace") or "", m["metadata"]["name"]) for m in rendered]
        handles = [o.key for member in env.members for o in member.objects]
        assert len(set(keys)) == len(keys) and len(set(handles)) == len(handles)
        without_handle = set(keys) - set(handles)
        implicit = set(env.implicit_namespaces())
        # ExternalSecrets and the content-named ConfigMaps of config= and files= are data, a Cilium policy
        # exists only once connects_to (which may grow after construction) reaches an External, a namespace's
        # alerts only once it holds workloads, and a workload's mesh policies follow its clients: no handles.
        without_handle = {k for k in without_handle
                          if k[0] not in ("ExternalSecret", "ConfigMap", "CiliumNetworkPolicy", "PrometheusRule",
                                          *MESH_POLICY_KINDS)}
        assert without_handle == {
            k for k in keys if k[1] in implicit
            and k[0] in ("NetworkPolicy", "ResourceQuota", "LimitRange", "ServiceAccount")
            and k[2] in ("default-deny", "allow-dns", "quota", "container-defaults", "default")
        } | {("Namespace", "", ns) for ns in implicit}
        assert set(handles) <= set(keys)


def test_a_patch_through_a_handle_reaches_the_rendered_object(platform):
    env = platform.environments[1]
    api = next(w for w in env.workloads if w.name == "api0")
    api.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})
    try:
        deployment = next(m for m in environment_manifests(env, env.to_spec())
                          if m["kind"] == "Deployment" and m["metadata"]["name"] == "api0")
        assert deployment["spec"]["paused"] is True
    finally:
        api.deployment.patches.clear()


def test_imports_point_down_only():
    """pyproject.toml's contracts: the layers, and no cdk8s, constructs or jsii below the model."""
    result = subprocess.run([str(LINT_IMPORTS)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and "3 kept, 0 broken" in result.stdout, result.stdout
