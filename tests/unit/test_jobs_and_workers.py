"""Every Worker, Job, CronJob and Migration default."""

from __future__ import annotations

import pytest
import yaml

from conftest import manifests
from shipform import Build, CronJob, Health, Job, Migration, WebService, Worker
from shipform.synth.pipeline import render


def container(manifest: dict) -> dict:
    spec = manifest["spec"]
    pod = (spec.get("jobTemplate", {}).get("spec") or spec)["template"]["spec"]
    return pod["containers"][0]


def test_worker_has_no_service_no_ingress_and_admits_nothing(new_app):
    _, dev, _ = new_app()
    Worker(dev, "mailer", image="busybox:1.37.0", command=["sleep", "3600"],
           health=Health.none("sleeps; nothing to check"))
    objects = manifests(dev)
    assert sorted(k for k in objects if k[1] == "mailer") == [
        ("Deployment", "mailer"), ("NetworkPolicy", "mailer"), ("ServiceAccount", "mailer")]
    assert objects[("NetworkPolicy", "mailer")]["spec"]["ingress"] == []
    c = container(objects[("Deployment", "mailer")])
    assert "ports" not in c and "livenessProbe" not in c and "readinessProbe" not in c  # no health: none, said so
    assert c["securityContext"]["readOnlyRootFilesystem"] is True


def test_worker_exec_health_gates_rollouts(new_app):
    _, dev, _ = new_app()
    Worker(dev, "mailer", image="busybox:1.37.0", health=Health.exec(["test", "-f", "/tmp/ok"]))
    c = container(manifests(dev)[("Deployment", "mailer")])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["exec"] == {"command": ["test", "-f", "/tmp/ok"]}


def test_worker_built_from_source_gets_a_dockerfile_without_expose(new_app, tmp_path):
    app, dev, _ = new_app()
    Worker(dev, "mailer", build=Build.python("py", ["python", "-m", "mailer"]),
           health=Health.exec(["python", "-m", "mailer.health"]))
    files = render(app, tmp_path)
    text = files["docker/mailer/Dockerfile"]
    assert "EXPOSE" not in text
    assert 'HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["python", "-m", "mailer.health"]' in text
    compose = yaml.safe_load(files["compose/compose.yaml"])["services"]["mailer"]
    assert compose["network_mode"] == "none" and "ports" not in compose
    assert compose["healthcheck"]["test"] == ["CMD", "python", "-m", "mailer.health"]


def test_compose_checks_a_shared_image_only_where_its_probe_checks_the_service(new_app, tmp_path):
    """The image's generated probe checks its owner's port and path. A service on the same image is checked by it
    where its own health is the same; elsewhere (another port or path, or no health) compose turns the image's
    HEALTHCHECK off instead of reporting a healthy service unhealthy, and nothing waits for it to be healthy;
    an exec check of its own is used as it is."""
    app, dev, _ = new_app()
    api = WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                     health=Health.http("/healthz"))
    WebService(dev, "same", image_of=api, command=["gunicorn", "-b", "0.0.0.0:8000", "same:app"], port=8000,
               health=Health.http("/healthz"))
    other = WebService(dev, "other-port", image_of=api, command=["gunicorn", "-b", "0.0.0.0:8080", "other:app"],
                       port=8080, health=Health.http("/healthz"))
    WebService(dev, "other-path", image_of=api, command=["gunicorn", "-b", "0.0.0.0:8000", "path:app"], port=8000,
               health=Health.http("/ready"))
    Worker(dev, "quiet", image_of=api, command=["python", "-m", "quiet"], health=Health.none("nothing listens"))
    Worker(dev, "own", image_of=api, command=["python", "-m", "own"], health=Health.exec(["python", "-m", "own.ok"]),
           connects_to=[api, other])
    services = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]
    assert services["same"]["healthcheck"]["test"] == ["CMD", "/usr/local/bin/healthcheck"]
    for name in ("other-port", "other-path", "quiet"):
        assert services[name]["healthcheck"] == {"disable": True}, name
    assert services["own"]["healthcheck"]["test"] == ["CMD", "python", "-m", "own.ok"]
    assert services["own"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert services["own"]["depends_on"]["other-port"]["condition"] == "service_started"


def test_cron_job_defaults(new_app):
    _, dev, _ = new_app()
    CronJob(dev, "report", schedule="0 6 * * *", image="busybox:1.37.0", command=["echo", "hi"])
    cron = manifests(dev)[("CronJob", "report")]["spec"]
    assert cron["schedule"] == "0 6 * * *" and "timeZone" not in cron
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["startingDeadlineSeconds"] == 300
    assert (cron["successfulJobsHistoryLimit"], cron["failedJobsHistoryLimit"]) == (3, 1)
    job = cron["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"], job["ttlSecondsAfterFinished"]) == (2, 3600, 86400)
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["terminationGracePeriodSeconds"] == 30
    assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "report"
    c = pod["containers"][0]
    assert "lifecycle" not in c and "livenessProbe" not in c
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # Ephemeral storage: its own 64Mi and the 64Mi emptyDir of /tmp.
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "128Mi"}


@pytest.mark.parametrize("schedule", ["@hourly", "@daily", "*/15 * * * *", "0 0 1 1 *", "30 2 * * 1-5"])
def test_valid_schedules_are_accepted(new_app, schedule):
    _, dev, _ = new_app()
    CronJob(dev, "report", schedule=schedule, image="busybox:1.37.0", command=["true"], time_zone="Europe/Berlin")
    assert manifests(dev)[("CronJob", "report")]["spec"]["timeZone"] == "Europe/Berlin"


def test_cron_job_with_image_of_runs_the_service_image_and_builds_nothing_itself(new_app, tmp_path):
    app, dev, _ = new_app()
    api = WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    CronJob(dev, "report", schedule="@daily", image_of=api, command=["python", "-m", "report"])
    files = render(app, tmp_path)
    assert container(manifests(dev)[("CronJob", "report")])["image"] == "ghcr.io/acme/shop-api:0.1.0"
    assert "docker/report/Dockerfile" not in files
    report = yaml.safe_load(files["compose/compose.yaml"])["services"]["report"]
    assert report["build"]["dockerfile"].endswith("docker/api/Dockerfile")
    assert report["profiles"] == ["jobs"] and report["restart"] == "no"
    assert report["command"] == ["python", "-m", "report"]


def test_job_is_a_one_off_kept_once_finished_and_replaced_when_changed(new_app, tmp_path):
    app, dev, _ = new_app()
    Job(dev, "seed", image="busybox:1.37.0", command=["echo", "seed"])
    objects = manifests(dev)
    assert objects[("Job", "seed")]["spec"]["backoffLimit"] == 2
    # No TTL: a deleted finished Job would be re-created from git and run again.
    assert "ttlSecondsAfterFinished" not in objects[("Job", "seed")]["spec"]
    # The pod template is immutable: a changed Job is replaced instead of failing to apply.
    assert objects[("Job", "seed")]["metadata"]["annotations"] == {
        "argocd.argoproj.io/sync-options": "Force=true,Replace=true"}
    compose = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]["seed"]
    assert compose["profiles"] == ["jobs"] and compose["restart"] == "no"


def test_migration_is_an_argo_cd_sync_hook_after_the_databases_and_a_compose_prerequisite(new_app, tmp_path):
    app, dev, _ = new_app()
    WebService(dev, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
               migrate=Migration(["python", "-m", "migrate"]))
    objects = manifests(dev)
    job = objects[("Job", "api-migrate")]
    assert job["metadata"]["annotations"] == {"argocd.argoproj.io/hook": "Sync",
                                              "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
                                              "argocd.argoproj.io/sync-wave": "-1"}
    assert job["spec"]["backoffLimit"] == 1 and job["spec"]["activeDeadlineSeconds"] == 600
    assert container(job)["args"] == ["python", "-m", "migrate"]
    assert container(job)["image"] == "ghcr.io/acme/shop-api:0.1.0"
    for kind in ("ServiceAccount", "NetworkPolicy"):
        assert objects[(kind, "api-migrate")]["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "-3"}
    services = yaml.safe_load(render(app, tmp_path)["compose/compose.yaml"])["services"]
    assert services["api"]["depends_on"] == {"api-migrate": {"condition": "service_completed_successfully"}}
    assert "profiles" not in services["api-migrate"] and services["api-migrate"]["restart"] == "no"


def test_migration_under_flux_is_an_init_container(app_root):
    from shipform import App, Environment

    app = App("shop", registry="ghcr.io/acme", root=app_root)
    prod = Environment(app, "prod", gitops="flux")
    WebService(prod, "api", image="nginx:1.27.3", port=8000, migrate=Migration(["migrate", "--lock"]))
    objects = manifests(prod)
    assert ("Job", "api-migrate") not in objects
    pod = objects[("Deployment", "api")]["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    assert init["name"] == "migrate" and init["args"] == ["migrate", "--lock"]
    assert init["securityContext"]["runAsNonRoot"] is True and "livenessProbe" not in init
