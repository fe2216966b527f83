"""A first sync on an empty cluster, replayed by Argo CD's and Flux's documented rules over generated output:
every Job (migrations included) finds everything it needs applied and healthy before it runs, databases come
before their clients, and nothing waits for something that comes later.

Argo CD: objects of the Sync phase are applied wave by wave (annotation argocd.argoproj.io/sync-wave, default
0); within a wave by kind, then name; the next wave starts only when the previous one is healthy (Jobs
completed). Flux: a Kustomization applies its whole folder, then waits for health (wait: true); one that
dependsOn another starts only when that one is ready.
"""

from __future__ import annotations

import pytest
import yaml

from conftest import DIST
from shipform.providers.gitops import GITOPS
from shipform.providers.gitops.protocol import Placed
from shipform.render.environment import rendered_objects
from shipform.render.plan import environment_plan

FOUNDATION = {"Namespace", "ResourceQuota", "LimitRange", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy",
              "ExternalSecret", "ConfigMap", "PersistentVolumeClaim"}


@pytest.fixture(scope="module")
def outputs(platform_app) -> dict[str, dict[str, str]]:
    shop = {p.relative_to(DIST / "shop").as_posix(): p.read_text() for p in (DIST / "shop").rglob("*.yaml")}
    return {"shop": shop, "platform": platform_app[1]}


def objects(files: dict[str, str], env: str) -> list[tuple[str, dict]]:
    return [(path, yaml.load(text, Loader=yaml.CSafeLoader)) for path, text in sorted(files.items())
            if path.startswith(f"k8s/{env}/") and not path.endswith("kustomization.yaml")]


def wave(manifest: dict) -> int:
    return int(manifest["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def pod_spec(manifest: dict) -> dict | None:
    spec = manifest.get("spec", {})
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template")
    return template["spec"] if template else None


def needs(manifest: dict, everything: list[dict]) -> list[dict]:
    """What a pod owner needs before its pods can work: its ServiceAccount, its NetworkPolicy, the
    ExternalSecrets behind its secret volumes, its claims, and the databases its policy lets it reach."""
    meta, pod = manifest["metadata"], pod_spec(manifest) or {}
    ns, name = meta["namespace"], meta["name"]
    secrets = {s["secret"]["name"] for v in pod.get("volumes", []) for s in v.get("projected", {}).get("sources", [])}
    claims = {v["persistentVolumeClaim"]["claimName"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v}
    policy = next((o for o in everything if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == ns
                   and o["metadata"]["name"] == name), None)
    reached = [peer["podSelector"]["matchLabels"] for rule in (policy or {}).get("spec", {}).get("egress", [])
               for peer in rule.get("to", []) if "podSelector" in peer and "app.kubernetes.io/name" in
               peer["podSelector"]["matchLabels"]]
    def wanted(o: dict) -> bool:
        m = o["metadata"]
        same_ns = m.get("namespace") == ns
        if o["kind"] == "ServiceAccount":
            return same_ns and m["name"] == pod.get("serviceAccountName")
        if o["kind"] == "ExternalSecret":
            return same_ns and m["name"] in secrets
        if o["kind"] == "PersistentVolumeClaim":
            return same_ns and m["name"] in claims
        if o["kind"] == "StatefulSet":
            labels = m.get("labels", {})
            return any(all(labels.get(k) == v for k, v in sel.items()) for sel in reached)
        return o is policy

    return [o for o in everything if wanted(o)]


ARGO_ENVS = [("shop", "dev"), ("shop", "prod"), ("platform", "dev"), ("platform", "prod")]


@pytest.mark.parametrize(("app", "env"), ARGO_ENVS, ids=[f"{a}-{e}" for a, e in ARGO_ENVS])
def test_argo_cd_applies_what_a_job_or_client_needs_in_an_earlier_healthy_wave(outputs, app, env):
    listed = [m for _, m in objects(outputs[app], env)]
    jobs = [m for m in listed if m["kind"] == "Job"]
    assert jobs, "the app should have Jobs to order"
    for runner in (m for m in listed if pod_spec(m) is not None):
        for need in needs(runner, listed):
            strictly_before = runner["kind"] == "Job" or need["kind"] == "StatefulSet"
            assert wave(need) < wave(runner) if strictly_before else wave(need) <= wave(runner), (
                f"{runner['kind']} {runner['metadata']['name']} (wave {wave(runner)}) needs {need['kind']} "
                f"{need['metadata']['name']} (wave {wave(need)})")
    for m in listed:
        if m["kind"] in FOUNDATION:
            assert wave(m) < min(wave(j) for j in jobs), m["metadata"]["name"]


@pytest.mark.parametrize(("app", "env"), ARGO_ENVS, ids=[f"{a}-{e}" for a, e in ARGO_ENVS])
def test_argo_cd_migrations_are_sync_hooks_and_nothing_is_a_pre_sync_hook(outputs, app, env):
    for _, m in objects(outputs[app], env):
        annotations = m["metadata"].get("annotations", {})
        assert annotations.get("argocd.argoproj.io/hook") in (None, "Sync"), m["metadata"]["name"]
        if m["kind"] == "Job" and m["metadata"]["name"].endswith("-migrate"):
            assert annotations["argocd.argoproj.io/hook"] == "Sync"
            assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"


def test_flux_applies_one_off_jobs_only_after_everything_else_is_ready(outputs):
    files = outputs["platform"]
    kustomizations = [yaml.safe_load(t) for p, t in files.items() if p.startswith("gitops/flux/stage/kustomization-")]
    by_name = {k["metadata"]["name"]: k for k in kustomizations}
    main, jobs = by_name["mixed-stage"], by_name["mixed-stage-jobs"]
    assert main["spec"]["wait"] is True and main["spec"]["path"].endswith("/k8s/stage")
    assert jobs["spec"]["dependsOn"] == [{"name": "mixed-stage"}] and jobs["spec"]["path"].endswith("/k8s/stage/jobs")
    main_files = yaml.safe_load(files["k8s/stage/kustomization.yaml"])["resources"]
    job_files = yaml.safe_load(files["k8s/stage/jobs/kustomization.yaml"])["resources"]
    assert not any(f.startswith("job-") for f in main_files)
    assert job_files and all(f.startswith("job-") for f in job_files)
    # Flux has no hooks: a migration is an init container of its Deployment, retried until the database answers.
    migrating = [m for _, m in objects(files, "stage")
                 if m["kind"] == "Deployment" and pod_spec(m).get("initContainers")]
    assert migrating and all(pod_spec(m)["initContainers"][0]["name"] == "migrate" for m in migrating)


def test_rendered_objects_are_gitops_neutral_until_the_ordering_step(platform_app):
    """Renderers know nothing of Argo CD or Flux: the waves, hooks and replace annotations come from the provider's
    ordering step, over the rendered objects and the constructs' changes."""
    for env in platform_app[0].environments:
        env_spec = env.to_spec()
        for rendered in rendered_objects(env_spec, environment_plan(env_spec)):
            annotations = rendered.manifest["metadata"].get("annotations") or {}
            assert not [a for a in annotations if "argoproj.io/" in a or "fluxcd.io/" in a], rendered.key


def test_each_phase_becomes_the_provider_s_own_mechanism():
    def job(phase):
        return Placed({"kind": "Job", "metadata": {"name": "j", "annotations": {"checkov.io/skip1": "x"}}}, phase)

    argocd, flux, kubectl = GITOPS["argocd"], GITOPS["flux"], GITOPS["kubectl"]
    assert [argocd.order([job(p)])[0]["metadata"]["annotations"] for p in ("migration", "workload")] == [
        {"argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
         "argocd.argoproj.io/sync-wave": "-1", "checkov.io/skip1": "x"},
        {"argocd.argoproj.io/sync-options": "Force=true,Replace=true", "checkov.io/skip1": "x"}]
    assert flux.order([job("migration")])[0]["metadata"]["annotations"] == {
        "kustomize.toolkit.fluxcd.io/force": "enabled", "checkov.io/skip1": "x"}
    assert kubectl.order([job("workload")])[0] == job("workload").manifest
    # A wave set by hand (a foreign object, a construct's annotation) stays; one the object lacks comes last.
    theirs = Placed({"kind": "ConfigMap", "metadata": {"name": "c", "annotations": {
        "argocd.argoproj.io/sync-wave": "5"}}}, "foundation", leads=False)
    assert argocd.order([theirs])[0] == theirs.manifest
    own = Placed({"kind": "Namespace", "metadata": {"name": "n", "annotations": {"a": "b"}}}, "foundation", leads=False)
    assert list(argocd.order([own])[0]["metadata"]["annotations"]) == ["a", "argocd.argoproj.io/sync-wave"]
    assert (argocd.jobs_folder, flux.jobs_folder, kubectl.jobs_folder) == (None, "jobs", "jobs")
