"""The compose file, from the local Environment: the same images, users, ports, health checks,
read-only roots, secrets and dependency graph as Kubernetes, for `docker compose up`."""

from __future__ import annotations

import os
from collections.abc import Set
from dataclasses import replace
from pathlib import Path
from typing import Any

from shipform import spec
from shipform.errors import ShipformError
from shipform.render.compose_events import event_labels
from shipform.render.compose_names import local_names
from shipform.render.compose_ports import published_ports
from shipform.render.compose_watch import watch
from shipform.render.output import Context
from shipform.write.yaml_dump import Quoted, dump

COMPOSE_DIR = "compose"
LOCAL_SECRETS_DIR = "secrets"
TMPFS_OPTIONS = "size=64m,mode=1777"
PIDS_LIMIT = 256
"""Processes and threads one container may run: a fork bomb stops there, a real service never gets close."""
LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
"""Rotated logs: at most 30 MB per container on the developer's disk."""
RESTARTS = 5


def _build(built: spec.BuiltImage, compose_dir: Path, docker_dir: Path) -> dict[str, Any]:
    dockerfile = built.dockerfile or docker_dir / built.dockerfile_of / "Dockerfile"
    return {
        "context": os.path.relpath(built.context, compose_dir),
        "dockerfile": os.path.relpath(dockerfile, built.context),
    }


def healthcheck(w: spec.Workload, owner: spec.Workload | None = None) -> dict[str, Any] | None:
    """compose can check health only with a probe that exists in the image: the generated probe program of an
    image shipform generates the Dockerfile of, or an exec command.

    ``owner``: the workload whose Dockerfile builds the image (``w`` itself, or another with ``image_of``). Its
    generated probe program checks the owner's port and path, so it checks this workload only where they are the
    same; elsewhere the image's HEALTHCHECK would report a healthy service unhealthy, and compose turns it off
    (Kubernetes probes the workload itself)."""
    h = w.health
    generated = w.build is not None and w.build.preset != "dockerfile"
    if owner is not None and owner.build is not None and owner.build.preset != "dockerfile":
        if h is not None and h.kind != "exec" and _probe(w) != _probe(owner):
            return {"disable": True}
        if h is None:
            return {"disable": True} if owner.health is not None else None
        generated = True
    if h is None or not (generated or h.kind == "exec"):
        return None
    return {"test": ["CMD", *h.exec_test()], "interval": f"{h.period_seconds}s", "timeout": f"{h.timeout_seconds}s",
            "retries": h.failure_threshold, "start_period": f"{h.start_period_seconds}s"}


def _probe(w: spec.Workload) -> tuple[str, int, str, str | None, int] | None:
    port = w.health_port
    return w.health.probe_target(port.number if port is not None else None) if w.health is not None else None


def checks_health(check: dict[str, Any] | None) -> bool:
    """Whether compose checks the service's health (others it waits for started, not healthy)."""
    return check is not None and not check.get("disable")


def _resources(r: spec.Workload) -> dict[str, Any]:
    assert r.resources is not None
    res = r.resources
    return {"resources": {
        "limits": {"cpus": res.cpu_limit.cores(), "memory": res.memory_limit.compose(), "pids": PIDS_LIMIT},
        "reservations": {"cpus": res.cpu.cores(), "memory": res.memory.compose()},
    }}


def config_name(w: spec.Workload, f: spec.ConfigFile) -> str:
    """compose mounts a config read-only (0444) from the app's own file: a change needs no rebuild."""
    return f"{w.name}-{f.key}"


def local_configs(workloads: list[spec.Workload], compose_dir: Path) -> dict[str, dict[str, str]]:
    """The top-level ``configs``: one per mounted file. Names join workload and key with '-', which both may
    hold ('a' with 'file-b-c', 'a-file-b' with 'file-c'): two files under one name would mount one of them twice."""
    configs: dict[str, dict[str, str]] = {}
    owners: dict[str, str] = {}
    for w in workloads:
        for f in w.config.files if w.config is not None else ():
            # a generated file's content, with '$' doubled: compose would substitute ${...} from the host's env
            entry = ({"file": os.path.relpath(f.source, compose_dir)} if f.source is not None
                     else {"content": f.content.replace("$", "$$")})
            name = config_name(w, f)
            if configs.setdefault(name, entry) != entry:
                raise ShipformError(w.path, f"files.{f.mount_path}", f"makes the compose config name '{name}', "
                                    f"which a file of {owners[name]} has too", name,
                                    "mount the file at another path, or rename one of the two workloads")
            owners.setdefault(name, w.path)
    return configs


def edge_network(client: str, server: str) -> str:
    """Service names are DNS labels, which have no '_': joined with it, two pairs never share a name."""
    return f"{client}_to_{server}"


def public_network(w: spec.Workload) -> str:
    return f"{w.name}-public"


def egress_network(w: spec.Workload) -> str:
    """The one network of a service with a route off the host, for its servers outside the cluster."""
    return f"{w.name}-egress"


def networks_of(w: spec.Workload) -> list[str]:
    """One internal network per declared connection, joined by just its two ends, so no service can
    reach another it did not declare (not even a fellow client of the same server); public services
    also join their own non-internal network to publish their port."""
    names = [edge_network(w.name, t.name) for t in w.connects_to if t.external is None]
    names += [edge_network(c.name, w.name) for c in w.clients]
    if published_ports(w):
        names.append(public_network(w))
    if any(t.external is not None for t in w.connects_to):
        names.append(egress_network(w))
    return sorted(set(names))


LocalNames = dict[tuple[str, str], str]


def env_value(value: spec.EnvValue, names: LocalNames) -> str | None:
    """compose has secrets as files only, and cannot expand one into a URL: such URLs have no password."""
    if isinstance(value, spec.FromSecret):
        return None
    if isinstance(value, spec.ServiceHost):
        return _host(value, names)
    if isinstance(value, spec.ConnectionUrl):
        user = f"{value.user}@" if value.user else ""
        server = _host(value.host, names) if isinstance(value.host, spec.ServiceHost) else value.host
        return f"{value.scheme}://{user}{server}:{value.port}{value.path}"
    if isinstance(value, spec.GrpcTarget):
        return f"dns:///{_host(value.host, names)}:{value.port}"
    if isinstance(value, spec.ServicePort):
        return str(value.local)
    return value.value  # Plain and FromConfig: the value itself


def _host(host: spec.ServiceHost, names: LocalNames) -> str:
    """compose has one namespace: a server is reached by its service name there."""
    return names.get((host.namespace, host.name), host.name)


def local_workload(w: spec.Workload, names: LocalNames) -> spec.Workload:
    """The workload as compose sees it: under its compose name (see render.compose_names), the ends of its
    connections and the jobs it waits for too, and the volumes of a renamed workload prefixed with its namespace."""
    def end(e: spec.Endpoint) -> spec.Endpoint:
        local = names.get((e.namespace, e.name), e.name)
        return e if local == e.name else replace(e, name=local)

    name = names[(w.namespace, w.name)]
    volumes = w.volumes if name == w.name else tuple(replace(v, kept_as=f"{w.namespace}-{v.kept_as}")
                                                     for v in w.volumes)
    run = w.run
    if isinstance(run, spec.Continuous) and run.pre_start:
        run = replace(run, pre_start=replace(run.pre_start, connects_to=tuple(map(end, run.pre_start.connects_to))))
    # A Broker runs in Kubernetes alone (its labels say so: render.compose_events).
    connects_to = tuple(end(t) for t in w.connects_to if t.local)
    return replace(w, name=name, connects_to=connects_to, clients=tuple(map(end, w.clients)),
                   volumes=volumes, waits_for=tuple(names.get((w.namespace, n), n) for n in w.waits_for), run=run)


def service(w: spec.Workload, compose_dir: Path, docker_dir: Path, names: LocalNames,
            checked: Set[str] = frozenset(), owner: spec.Workload | None = None) -> dict[str, Any]:
    """``checked``: the services with a healthcheck, which the workload waits to be healthy; ``owner``: the
    workload whose Dockerfile builds the image."""
    svc: dict[str, Any] = {}
    if w.built is not None:  # compose builds the image itself, from the same Dockerfile CI uses
        svc["build"] = _build(w.built, compose_dir, docker_dir)
    else:
        svc["image"] = w.image
    job = w.job
    batch = job is not None
    if job is not None and job.on_demand:  # a profile keeps it from starting with `docker compose up`
        svc["profiles"] = [job.on_demand]
    if w.command:
        svc["command"] = list(w.command)
    uid, gid = w.data_owner or (w.run_as_user, w.run_as_group)  # compose has no fsGroup
    svc["user"] = f"{uid}:{gid}"
    ports = published_ports(w)
    if ports:
        svc["ports"] = [Quoted(f"127.0.0.1:{port}:{port}") for port in ports]
    env = {v.name: value for v in w.env_for("compose") if (value := env_value(v.value, names)) is not None}
    if env:
        svc["environment"] = env
    if w.secret_files:
        svc["secrets"] = [{"source": f.ref.file_name, "target": f.ref.file_name} for f in w.secret_files]
    if w.config is not None and w.config.files:
        svc["configs"] = [{"source": config_name(w, f), "target": f.mount_path} for f in w.config.files]
    check = healthcheck(w, owner)
    if check:
        svc["healthcheck"] = check
    kept = [v for v in w.volumes if not isinstance(v.source, spec.Scratch) or w.job is not None]
    if kept:
        svc["volumes"] = [mount(v) for v in kept]
    svc["read_only"] = w.read_only_root_filesystem
    # Scratch space of long-running services lives as long as the container, as in the pod; a job's (a backup
    # dump waiting for its upload) may be large, so it stays on disk in a volume.
    scratch = [f"{p}:{TMPFS_OPTIONS}" for p in w.writable_paths]
    scratch += [f"{v.mount_path}:size={v.source.size.bytes},mode=1777" for v in w.volumes
                if isinstance(v.source, spec.Scratch) and w.job is None]
    if scratch:
        svc["tmpfs"] = scratch
    svc["cap_drop"] = ["ALL"]
    svc["security_opt"] = ["no-new-privileges:true"]
    svc["init"] = w.built is None  # built images bring tini as PID 1 already
    svc["stop_grace_period"] = f"{w.termination_grace_period_seconds}s"
    svc["deploy"] = _resources(w)
    svc["logging"] = LOGGING
    # A crashing service is restarted a few times, not forever; one that exits 0 stays stopped.
    svc["restart"] = "no" if batch else f"on-failure:{RESTARTS}"
    depends = _depends_on(w, checked)
    if depends:
        svc["depends_on"] = depends
    networks = networks_of(w)
    if networks:
        svc["networks"] = networks
    else:
        svc["network_mode"] = "none"  # declared no connections: like its NetworkPolicy, it reaches nothing
    return svc


def mount(v: spec.Volume) -> dict[str, Any]:
    """A named volume, or for a node agent's host folder the machine's own folder (read-only unless writable).
    A node agent's host network stays in Kubernetes: locally it joins compose networks like any service."""
    if isinstance(v.source, spec.HostFolder):
        return {"type": "bind", "source": v.source.path, "target": v.mount_path, "read_only": v.source.read_only}
    if isinstance(v.source, spec.SharedClaim) and v.source.read_only:
        return {"type": "volume", "source": v.kept_as, "target": v.mount_path, "read_only": True}
    return {"type": "volume", "source": v.kept_as, "target": v.mount_path}


def _depends_on(w: spec.Workload, checked: Set[str]) -> dict[str, Any]:
    depends: dict[str, Any] = {
        t.name: {"condition": "service_healthy" if t.name in checked else "service_started", "restart": True}
        for t in sorted(w.connects_to, key=lambda t: t.name) if t.external is None}
    for name in w.waits_for:
        depends[name] = {"condition": "service_completed_successfully"}
    return dict(sorted(depends.items()))


def pre_start_services(w: spec.Workload) -> dict[str, spec.Workload]:
    """A command every new pod runs first (a migration under Flux) is, locally, a one-shot service the
    workload waits for, as the migration Job is under Argo CD: with the workload's image and configuration, but
    only the env, secrets and connections the step has (a migration's databases), none of the workload's facets
    (it publishes nothing)."""
    if not isinstance(w.run, spec.Continuous) or not w.run.pre_start:
        return {}
    name, first = f"{w.name}-migrate", w.run.pre_start
    step = replace(w, name=name, run=spec.ToCompletion(1, 600, 0, pre_sync_hook=True, on_demand=None),
                   command=first.command, env=first.env, secret_files=first.secret_files,
                   connects_to=first.connects_to, health=None, clients=(), waits_for=(), build=None, facets=(),
                   accepted_risks=())
    return {name: step}


def with_pre_start_steps(workloads: list[spec.Workload]) -> list[spec.Workload]:
    """The workloads plus their pre-start steps, each step a client of what its workload connects to."""
    by_name = {w.name: w for w in workloads}
    for w in workloads:
        for name, step in pre_start_services(w).items():
            by_name[w.name] = replace(by_name[w.name], waits_for=(*by_name[w.name].waits_for, name))
            by_name[name] = step
            me = spec.Endpoint(name, step.namespace, step.app, None)
            for target in (t for t in step.connects_to if t.external is None):
                server = by_name[target.name]
                by_name[target.name] = replace(server, clients=(*server.clients, me))
    return sorted(by_name.values(), key=lambda w: w.name)


def escape_interpolation(value: Any) -> Any:
    """Compose interpolates $VAR in every string; shipform's '$' (shell scripts, probes) are literal."""
    if isinstance(value, str):
        return type(value)(value.replace("$", "$$")) if "$" in value else value
    if isinstance(value, dict):
        return {k: escape_interpolation(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_interpolation(v) for v in value]
    return value


def compose_document(app: spec.App, compose_dir: Path, docker_dir: Path) -> dict[str, Any] | None:
    env = app.local
    if env is None:
        return None
    names = local_names(env)
    workloads = with_pre_start_steps([local_workload(w, names) for w in env.workloads])
    owners = {w.name: w for w in env.workloads if w.build is not None}  # by the Dockerfile's owner

    def built_by(w: spec.Workload) -> spec.Workload | None:
        """The workload whose Dockerfile builds the image (itself, or another with image_of)."""
        return owners.get(w.built.dockerfile_of) if w.built is not None else None

    checked = {w.name for w in workloads if checks_health(healthcheck(w, built_by(w)))}
    services = {w.name: escape_interpolation(service(w, compose_dir, docker_dir, names, checked, built_by(w)))
                for w in workloads}
    for w in env.workloads:
        if labels := event_labels(w):
            services[names[(w.namespace, w.name)]]["labels"] = escape_interpolation(labels)
    for w in workloads:
        owner = built_by(w)
        rules = watch(w, owner.build if owner is not None else None, compose_dir)
        if rules:
            services[w.name]["develop"] = escape_interpolation({"watch": rules})
    network_names = sorted({n for svc in services.values() for n in svc.get("networks", [])})
    public = {public_network(w) for w in workloads if published_ports(w)}
    public |= {egress_network(w) for w in workloads if any(t.external is not None for t in w.connects_to)}
    doc: dict[str, Any] = {"name": app.name, "services": services}
    # Internal networks have no route off the host, like the Kubernetes egress policies.
    if network_names:
        doc["networks"] = {n: {"internal": n not in public} for n in network_names}
    volume_names = sorted({v.kept_as for w in workloads for v in w.volumes
                           if not isinstance(v.source, spec.Scratch | spec.HostFolder) or w.job is not None})
    if volume_names:
        doc["volumes"] = {name: {} for name in volume_names}
    configs = local_configs(workloads, compose_dir)
    if configs:
        doc["configs"] = escape_interpolation(dict(sorted(configs.items())))
    refs = sorted({f.ref.file_name for w in workloads for f in w.secret_files})
    if refs:
        doc["secrets"] = {name: {"file": f"./{LOCAL_SECRETS_DIR}/{name}"} for name in refs}
    return doc


def files(app: spec.App, context: Context) -> dict[str, str]:
    """``compose/compose.yaml`` from the local Environment, and the .gitignore that keeps local secret
    files out of git; nothing when no Environment is local."""
    doc = compose_document(app, context.app_dir / COMPOSE_DIR, context.app_dir / "docker")
    if doc is None:
        return {}
    return {f"{COMPOSE_DIR}/compose.yaml": context.marker + dump(doc),
            f"{COMPOSE_DIR}/.gitignore": context.marker + f"{LOCAL_SECRETS_DIR}/\n"}
