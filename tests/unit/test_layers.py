"""The layers: renderers are pure functions of the spec, each construct produces its spec once per synth,
what is rendered is exactly what the plan lists, the handles constructs expose are resolved against the plan,
and the imports point down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO, write_sources
from shipform import WebService, spec
from shipform.cli import cli
from shipform.errors import ShipformError
from shipform.model.workload import Workload
from shipform.render import compose
from shipform.render.environment import environment_objects, rendered_objects
from shipform.render.plan import environment_plan, namespace_why_not, why_not
from shipform.synth.handles import planned
from shipform.synth.kubernetes import environment_manifests
from shipform.synth.pipeline import render
from shipform.testing import find_object, synthesize
from shipform.values.health import Health
from shipform.values.quantity import Cpu, Memory
from shipform.values.resources import ComputeResources
from unit.bad_inputs import PREAMBLE

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
    objects = environment_objects(env)
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


def test_rendered_objects_are_exactly_the_planned_objects(platform):
    """Every workload, namespace and Environment renders what its plan lists, in that order, and nothing else."""
    for env in platform.environments:
        env_spec = env.to_spec()
        plan = environment_plan(env_spec)
        rendered = rendered_objects(env_spec, plan)
        for r in rendered:
            meta = r.manifest["metadata"]
            assert (r.key.api_version, r.key.kind, r.key.namespace, r.key.name) == (
                r.manifest["apiVersion"], r.manifest["kind"], meta.get("namespace") or "", meta["name"]), r.key
        planned = [*(k for ns in env_spec.namespaces for k in plan.namespaces[ns.name]),
                   *(k for w in env_spec.workloads for k in plan.workloads[w.path]), *plan.environment]
        assert [r.key for r in rendered] == planned
        assert len({k.key for k in planned}) == len(planned)


def test_every_handle_resolves_to_its_planned_objects_or_to_why_there_are_none(platform):
    """Each handle a construct exposes names a role of its plan: it finds the planned objects of that role, or the
    plan says, in the construct's own terms, why it has none."""
    found = 0
    for env in platform.environments:
        env_spec = env.to_spec()
        plan = environment_plan(env_spec)
        workloads = {w.path: w for w in env_spec.workloads}
        namespaces = {ns.name: ns for ns in env_spec.namespaces}
        for member in env.members:
            roles = {k.role for k in planned(member, plan)}
            for handle in member.objects:
                if handle.role in roles:
                    found += 1
                    continue
                why = namespace_why_not(namespaces[member.namespace], handle.role) if member.holds_workloads \
                    else why_not(workloads[member.path], handle.role, env_spec.cilium)
                assert "no object of role" not in why, (member.path, handle.role)
    assert found > 500


def test_changing_an_object_the_plan_lacks_names_the_attribute_and_why(new_app):
    """A handle on an object the construct does not have may be held, not changed: synth says why it has none."""
    app, dev, _ = new_app()
    api = WebService(dev, "api", image="nginx:1.27.3", port=8080)
    api.disruption_budget.add_labels({"team": "checkout"})
    held = api.ingress  # held, not changed: fine
    assert not held.changed
    with pytest.raises(ShipformError) as err:
        synthesize(app)
    assert str(err.value) == (
        "shop/dev/api: 'disruption_budget' is changed, but there is no such object: api runs 1 replica, so it has "
        "no PodDisruptionBudget. Fix: drop the change, or set the props that make the object")
    api.replicas = 2  # props changed after construction count: now it has one
    budget = find_object(synthesize(app), "PodDisruptionBudget", "api", env="dev")
    assert budget["metadata"]["labels"]["team"] == "checkout"


def test_the_cli_refuses_a_change_to_a_missing_object_without_a_traceback(tmp_path):
    write_sources(tmp_path)
    app_file = tmp_path / "app.py"
    app_file.write_text(PREAMBLE + 'api = WebService(dev, "api", image="nginx:1.27.3", port=80)\n'
                        'api.ingress.add_annotations({"acme.com/owner": "ops"})\n')
    ran = CliRunner().invoke(cli, ["synth", str(app_file), "--outdir", str(tmp_path / "out")],
                             catch_exceptions=False)
    assert ran.exit_code == 1 and "Traceback" not in ran.stderr + ran.stdout
    assert "shop/dev/api: 'ingress' is changed, but there is no such object: api is not public" in ran.stderr
    assert not (tmp_path / "out").exists()


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
    assert result.returncode == 0 and "8 kept, 0 broken" in result.stdout, result.stdout
