"""What each compose service becomes: a StatefulDB for a database image, an External for a queue server, a Job
or a Migration for a one-off, else a WebService (it serves a port) or a Worker; with its image or Build, health
check, command, volumes and environment (plain values as config, credentials as SecretRefs)."""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipform.errors import ShipformError
from shipform.importing import facts, images
from shipform.importing.builds import numeric_user, plan_build
from shipform.importing.compose_file import EXPLICIT_ENV, ComposeFile, depends_on, env_files, scalar, words
from shipform.importing.plan import Service
from shipform.model.engines import ENGINES
from shipform.values.checks import image_ref, is_dns_label, is_image_name

_RESERVED_VARS = {"app", "dev", "ns", "env"} | set(dir(builtins))
_HTTP_PORTS = {80, 3000, 4000, 5000, 5001, 8000, 8001, 8080, 8081, 8888, 9000}
_DB_SETTINGS = {
    "user": ("POSTGRES_USER", "MYSQL_USER", "MARIADB_USER"),
    "database": ("POSTGRES_DB", "MYSQL_DATABASE", "MARIADB_DATABASE", "MONGO_INITDB_DATABASE"),
}
_SQL_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,62}")


def name_of(compose_name: str, taken: set[str]) -> str:
    """A DNS label for a compose service name (lower case, '-' for other characters), unique in the app."""
    base = re.sub(r"[^a-z0-9-]+", "-", compose_name.lower()).strip("-")[:40].strip("-") or "service"
    if not base[0].isalpha():
        base = f"s-{base}"
    name, n = base, 2
    while name in taken or not is_dns_label(name):
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def var_of(name: str, taken: set[str]) -> str:
    base = name.replace("-", "_")
    var, n = base, 2
    while var in taken or keyword.iskeyword(var) or var in _RESERVED_VARS:
        var, n = f"{base}_{n}", n + 1
    taken.add(var)
    return var


def plan_services(compose: ComposeFile, app_folder: Path) -> dict[str, Service]:
    names: set[str] = set()
    variables: set[str] = set()
    planned = {}
    for compose_name, body in compose.services.items():
        name = name_of(compose_name, names)
        service = Service(compose_name, name, var_of(name, variables))
        _classify(service, body, compose, app_folder)
        planned[compose_name] = service
    _share_images(planned, compose.services)
    return planned


def _classify(service: Service, body: Mapping[str, Any], compose: ComposeFile, app_folder: Path) -> None:
    ref = images.parse(scalar(body["image"])) if isinstance(body.get("image"), str) else None
    if "build" in body:
        service.build = plan_build(service, body, compose.folder, app_folder)
    if service.build is None and ref is not None and "build" not in body:
        engine = images.engine_of(ref)
        if engine is not None:
            return _database(service, body, ref, engine)
        queue = images.QUEUE_IMAGES.get(ref.last)
        if queue is not None:
            return _queue(service, body, ref, queue)
    if service.build is None:
        service.image = _pinned(service, ref)
    _workload(service, body, ref)


def _pinned(service: Service, ref: images.ImageRef | None) -> str:
    """The image a workload runs: the compose file's when shipform takes it as it is (pinned), else its name at the
    tag 'unpinned' (which synthesizes, and which no registry has, so nothing runs an image nobody chose)."""
    if ref is not None:
        text = ref.text.strip()
        try:
            return image_ref(service.name, "image", text)
        except ShipformError:
            base = text.split("@")[0]
            base = base[:-len(ref.tag) - 1] if ref.tag else base
        if is_image_name(base):
            service.note("image", ref.text, "shipform runs pinned images only (a version tag other than latest, or a "
                         "digest); replace 'unpinned' with the version you run")
            return f"{base}:unpinned"
        service.note("image", ref.text, "not an image reference")
    service.info("image", f"none to run: this runs {service.name}:unpinned until you build the image in CI and pin "
                 "it here")
    return f"{service.name}:unpinned"


def _database(service: Service, body: Mapping[str, Any], ref: images.ImageRef, engine: str) -> None:
    service.kind, service.engine = "db", engine
    service.version, why = images.engine_version(engine, ref.tag)
    service.info("image", f"{ref.text} runs as StatefulDB engine {engine!r} version {service.version!r}"
                 + (f" ({why})" if why else ""))
    spec = ENGINES[engine]
    explicit = set(body.get(EXPLICIT_ENV) or [])
    from_files = []
    for var, value in (body.get("environment") or {}).items():
        setting = next((s for s, names in _DB_SETTINGS.items() if var in names), None)
        if setting and value and _SQL_NAME.fullmatch(value) and value not in spec.reserved_users and \
                ((setting == "user" and spec.has_user) or (setting == "database" and spec.has_database)):
            if setting == "user":
                service.db_user = value
            else:
                service.db_name = value
        elif var not in explicit:
            from_files.append(var)
        elif "PASSWORD" in var.upper():
            service.note(f"environment.{var}", "<redacted>", f"shipform generates the password (Secret "
                         f"{service.name}-credentials; `shipform secrets init-local`)")
        elif value in spec.reserved_users:
            service.note(f"environment.{var}", value, f"it is the engine's own; the application's {setting or 'user'} "
                         f"is the app's name unless {setting or 'user'}= says otherwise")
        else:
            service.note(f"environment.{var}", "<redacted>" if facts.is_secret(var, value or "") else value,
                         "the engine's settings are shipform's")
    if from_files:
        service.note("env_file", ", ".join(env_files(body)), f"{len(from_files)} variables; the engine's settings and "
                     "its password are shipform's")
    for key in ("command", "entrypoint", "healthcheck", "ports", "user"):
        if key in body:
            service.note(key, "<redacted>" if key in ("command", "entrypoint") else body[key],
                         "StatefulDB runs, checks and reaches the engine its own way" if key != "ports"
                         else "a database is reached by the services that connect to it only")
    _data_volume(service, body, spec.data_path)


def _data_volume(service: Service, body: Mapping[str, Any], data_path: str) -> None:
    for source, target, kind in _mounts(body):
        if kind == "volume" and source and (target == data_path or target.startswith(data_path + "/")):
            service.info("volumes", f"{source} is its data volume (storage=, 10Gi by default)")
        else:
            service.note("volumes", f"{source or ''}:{target}" if source else target,
                         "a StatefulDB keeps only its data volume")


def _queue(service: Service, body: Mapping[str, Any], ref: images.ImageRef, queue: images.QueueServer) -> None:
    service.kind, service.queue_port, service.queue_scheme = "queue", queue.port, queue.scheme
    service.info("image", f"{ref.text} is a queue server, which shipform runs no construct for: an External your "
                 f"services reach; set host= to your broker's address ({service.name}.invalid never resolves)")


def _workload(service: Service, body: Mapping[str, Any], ref: images.ImageRef | None) -> None:
    published, exposed, beyond_loopback = facts.ports(service, body)
    numbers = published + [p for p in exposed if p not in published]
    if not numbers:
        numbers = facts.implied_ports(body) or service.image_ports
    if not numbers and ref is not None and ref.last in images.KNOWN_PORTS and service.build is None:
        numbers = [images.KNOWN_PORTS[ref.last]]
    own_probe = service.build is not None and service.build.preset != "dockerfile"
    service.health = facts.health(service, body, own_probe)
    http = bool(service.health and service.health[0] == "http") or bool(numbers and numbers[0] in _HTTP_PORTS)
    service.ports = facts.port_names(numbers, http)
    service.public = beyond_loopback
    if published and not beyond_loopback:
        service.info("ports", "published on the host's loopback only: reached by the services that connect to it, "
                     "not public")
    service.kind = "web" if numbers else "worker"
    if not own_probe or service.build is None:
        service.command = _image_command(service, body)
    _user(service, body)
    _volumes(service, body)
    _environment(service, body)
    _rest(service, body)


def _image_command(service: Service, body: Mapping[str, Any]) -> list[str]:
    if "entrypoint" in body:
        service.note("entrypoint", body["entrypoint"], "the image's entrypoint stays (shipform passes command= as "
                     "its arguments)")
    return words(body.get("command"))


def _user(service: Service, body: Mapping[str, Any]) -> None:
    if "user" not in body:
        return
    user = scalar(body["user"])
    uid, _, gid = user.partition(":")
    if gid == "0" and numeric_user(uid) is not None:
        service.note("user", user, f"the root group is not given; it runs as {uid}:{uid}")
        user = uid
    run_as = numeric_user(user)
    if run_as is None:
        service.note("user", body["user"], "shipform runs every service as a numeric non-root UID of its own")
    elif service.run_as is None:
        service.run_as = run_as


def _mounts(body: Mapping[str, Any]) -> list[tuple[str | None, str, str]]:
    """(source, target, kind) of each volume entry: kind 'volume', 'bind', 'tmpfs' or 'anonymous'."""
    found: list[tuple[str | None, str, str]] = []
    for entry in body.get("volumes") or []:
        if isinstance(entry, dict):
            kind = str(entry.get("type", "volume"))
            source = entry.get("source")
            found.append((str(source) if source else None, str(entry.get("target", "")),
                          kind if source or kind != "volume" else "anonymous"))
            continue
        parts = scalar(entry).split(":")
        if len(parts) == 1:
            found.append((None, parts[0], "anonymous"))
        else:
            source = parts[0]
            bind = source.startswith((".", "/", "~", "$")) or "/" in source
            found.append((source, parts[1], "bind" if bind else "volume"))
    return found


def _volumes(service: Service, body: Mapping[str, Any]) -> None:
    writable = ["/tmp"]
    tmpfs = body.get("tmpfs")
    for target in (tmpfs if isinstance(tmpfs, list) else [tmpfs] if tmpfs else []):
        writable.append(scalar(target).split(":")[0])
    for source, target, kind in _mounts(body):
        if not target.startswith("/") or target.startswith(("/proc", "/sys")) or target in writable:
            service.note("volumes", target, "not a folder shipform can mount")
        elif kind == "volume" and source:
            service.volumes[target] = 'Volume(size="1Gi")'
            service.info("volumes", f"named volume {source} at {target}: a volume of this service alone "
                         "(1Gi; set its size)")
        elif kind in ("tmpfs", "anonymous"):
            writable.append(target)
        else:
            service.note("volumes", f"{source}:{target}", "a bind mount of a host folder; the image carries the code, "
                         "files= mounts single files read-only")
    service.writable_paths = list(dict.fromkeys(writable)) if writable != ["/tmp"] else []


def _environment(service: Service, body: Mapping[str, Any]) -> None:
    if env_files(body):
        service.info("env_file", f"{', '.join(env_files(body))} read into config and secrets below")
    for var, value in (body.get("environment") or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
            service.note(f"environment.{var}", "...", "not an environment variable name shipform accepts")
        elif value is None:
            service.note(f"environment.{var}", "(no value)", "compose takes it from the shell; set it in config or "
                         "secrets")
        elif facts.is_secret(var, value):
            service.secrets[var] = (f"{service.name}-secrets", var.lower().replace("_", "-"))
        else:
            service.config[var] = value


def _rest(service: Service, body: Mapping[str, Any]) -> None:
    raw = body.get("deploy")
    deploy: dict[str, Any] = raw if isinstance(raw, dict) else {}
    replicas = deploy.get("replicas", body.get("scale"))
    if isinstance(replicas, int) and replicas > 1:
        service.replicas = replicas
    for key in deploy:
        if key != "replicas":
            service.note(f"deploy.{key}", deploy[key], "resources=, autoscale= and strategy= say it the shipform way")
    if body.get("read_only") is False:
        service.info("read_only", "false in compose; shipform keeps the root read-only with writable_paths")
    restart = body.get("restart")
    if restart == "no" and not service.ports:
        service.kind = "job"
    if body.get("profiles"):
        service.info("profiles", f"{body['profiles']}: shipform has no profiles; "
                     + ("a one-off runs under compose's 'jobs' profile" if service.kind == "job"
                        else "the service always runs"))
    for key, value in body.items():
        if key.startswith("x-") or key in facts.HANDLED:
            continue
        why = facts.UNMAPPED.get(key, "shipform has no equivalent")
        if why:
            service.note(key, value, why)


def mark_one_offs(planned: dict[str, Service], services: Mapping[str, Mapping[str, Any]]) -> None:
    """A service others wait for until it completes is a one-off: a Migration of the one service that waits for it
    and runs the same image, else a Job."""
    waiters: dict[str, list[str]] = {}
    for name, body in services.items():
        for target, condition in depends_on(body).items():
            if condition == "service_completed_successfully" and target in planned:
                waiters.setdefault(target, []).append(name)
    for target, names in waiters.items():
        one_off = planned[target]
        if one_off.kind in ("db", "queue") or one_off.ports:
            continue
        one_off.kind = "job"
        parent = planned[names[0]]
        same = one_off.image_of == parent.compose or parent.image_of == one_off.compose or \
            (one_off.image is not None and one_off.image == parent.image)
        if len(names) == 1 and parent.kind == "web" and same and one_off.command and parent.migration is None:
            one_off.kind, one_off.migration_of, parent.migration = "migration", parent.compose, one_off
            one_off.info("depends_on", f"runs as the Migration of {parent.compose} ({parent.name}-migrate), with "
                         f"{parent.compose}'s image, config and databases, before {parent.compose} starts")


def _share_images(planned: dict[str, Service], services: Mapping[str, Mapping[str, Any]]) -> None:
    """Services built from the same build (or tagged with the same image) run the first one's image
    (``image_of=``): one Dockerfile, one image."""
    first: dict[str, str] = {}
    for name, service in planned.items():
        body = services[name]
        if service.build is None:
            continue
        key = repr((body.get("build"), service.build.context, service.build.dockerfile))
        tag = scalar(body["image"]) if isinstance(body.get("image"), str) else None
        owner = first.get(key) or (first.get(tag) if tag else None)
        if owner is None:
            first[key] = name
            if tag:
                first[tag] = name
            continue
        own_command = service.build.command
        service.image_of, service.build = owner, None
        service.command = own_command
