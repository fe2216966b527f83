"""The compose file, from the local Environment: the same images, users, ports, health checks,
read-only roots, secrets and dependency graph as Kubernetes, for `docker compose up`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipform.batch import Batch
from shipform.outputs import network
from shipform.outputs.yaml_dump import Quoted
from shipform.values import Resources

if TYPE_CHECKING:
    from shipform.app import App
    from shipform.workload import Workload

COMPOSE_DIR = "compose"
JOBS_PROFILE = "jobs"
"""One-off and scheduled tasks run on demand: `docker compose --profile jobs run --rm <name>`."""
LOCAL_SECRETS_DIR = "secrets"


def _build(builder: Workload, compose_dir: Path, docker_dir: Path) -> dict[str, Any]:
    assert builder.build is not None
    context = (builder.app.root / builder.build.context).resolve()
    return {
        "context": os.path.relpath(context, compose_dir),
        "dockerfile": os.path.relpath(docker_dir / builder.name / "Dockerfile", context),
    }


def _healthcheck(w: Workload) -> dict[str, Any] | None:
    # A prebuilt image has no generated probe; only an exec health spec can run inside it.
    if w.health is None or (w.build is None and w.health.kind != "command"):
        return None
    h = w.health
    return {"test": ["CMD", *h.exec_test()], "interval": f"{h.period_seconds}s", "timeout": f"{h.timeout_seconds}s",
            "retries": h.failure_threshold, "start_period": f"{h.start_period_seconds}s"}


def _resources(r: Resources) -> dict[str, Any]:
    return {"resources": {
        "limits": {"cpus": Resources.compose_cpus(r.cpu_limit), "memory": Resources.compose_memory(r.memory_limit)},
        "reservations": {"cpus": Resources.compose_cpus(r.cpu), "memory": Resources.compose_memory(r.memory)},
    }}


def edge_network(client: Workload, server: Workload) -> str:
    return f"{client.name}-to-{server.name}"


def public_network(w: Workload) -> str:
    return f"{w.name}-public"


def networks_of(w: Workload) -> list[str]:
    """One internal network per declared connection, joined by just its two ends, so no service can
    reach another it did not declare (not even a fellow client of the same server); public services
    also join their own non-internal network to publish their port."""
    names = [edge_network(w, t) for t in w.connects_to]
    names += [edge_network(c, w) for c in network.clients_of(w)]
    if getattr(w, "public", False):
        names.append(public_network(w))
    return sorted(set(names))


def service(w: Workload, compose_dir: Path, docker_dir: Path) -> dict[str, Any]:
    svc: dict[str, Any] = {}
    builder = w.built_by
    if builder is not None:  # compose builds the image itself, from the same Dockerfile CI uses
        svc["build"] = _build(builder, compose_dir, docker_dir)
    else:
        svc["image"] = w.image
    batch = isinstance(w, Batch)
    profile = getattr(w, "compose_profile", JOBS_PROFILE)
    if batch and not getattr(w, "pre_sync_hook", False):
        svc["profiles"] = [profile]
    if w.command:
        svc["command"] = list(w.command)
    svc["user"] = w.compose_user()
    if getattr(w, "public", False):
        svc["ports"] = [Quoted(f"127.0.0.1:{w.port}:{w.port}")]
    env = w.all_env("compose")
    if env:
        svc["environment"] = env
    secrets = w.all_secrets()
    if secrets:
        svc["secrets"] = [{"source": ref.file_name, "target": ref.file_name} for ref in secrets.values()]
    check = _healthcheck(w)
    if check:
        svc["healthcheck"] = check
    volumes = w.compose_volumes()
    if volumes:
        svc["volumes"] = volumes
    svc["read_only"] = w.read_only_root_filesystem
    if w.writable_paths:
        svc["tmpfs"] = [f"{p}:size=64m,mode=1777" for p in w.writable_paths]
    svc["cap_drop"] = ["ALL"]
    svc["security_opt"] = ["no-new-privileges:true"]
    svc["init"] = builder is None  # built images bring tini as PID 1 already
    svc["stop_grace_period"] = f"{w.termination_grace_period_seconds}s"
    svc["deploy"] = _resources(w.resources)
    svc["restart"] = "no" if batch else "unless-stopped"
    depends = _depends_on(w)
    if depends:
        svc["depends_on"] = depends
    networks = networks_of(w)
    if networks:
        svc["networks"] = networks
    else:
        svc["network_mode"] = "none"  # declared no connections: like its NetworkPolicy, it reaches nothing
    return svc


def _depends_on(w: Workload) -> dict[str, Any]:
    depends = {t.name: {"condition": "service_healthy" if _healthcheck(t) else "service_started", "restart": True}
               for t in sorted(w.connects_to, key=lambda t: t.name)}
    migration = getattr(w, "migration", None)
    if migration is not None:
        depends[migration.name] = {"condition": "service_completed_successfully"}
    return dict(sorted(depends.items()))


def escape_interpolation(value: Any) -> Any:
    """Compose interpolates $VAR in every string; shipform's '$' (shell scripts, probes) are literal."""
    if isinstance(value, str):
        return type(value)(value.replace("$", "$$")) if "$" in value else value
    if isinstance(value, dict):
        return {k: escape_interpolation(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_interpolation(v) for v in value]
    return value


def compose_document(app: App, compose_dir: Path, docker_dir: Path) -> dict[str, Any] | None:
    env = app.local_environment
    if env is None:
        return None
    workloads = sorted(env.workloads, key=lambda w: w.name)
    services = {w.name: escape_interpolation(service(w, compose_dir, docker_dir)) for w in workloads}
    network_names = sorted({n for svc in services.values() for n in svc.get("networks", [])})
    public = {public_network(w) for w in workloads if getattr(w, "public", False)}
    doc: dict[str, Any] = {"name": app.name, "services": services}
    # Internal networks have no route off the host, like the Kubernetes egress policies.
    if network_names:
        doc["networks"] = {n: {"internal": n not in public} for n in network_names}
    volume_names = sorted({v["source"] for w in workloads for v in w.compose_volumes()})
    if volume_names:
        doc["volumes"] = {name: {} for name in volume_names}
    refs = sorted({ref.file_name for w in workloads for ref in w.all_secrets().values()})
    if refs:
        doc["secrets"] = {name: {"file": f"./{LOCAL_SECRETS_DIR}/{name}"} for name in refs}
    return doc
