"""One compose key at a time into props: ports, health checks, volumes, environment (plain values to ``config``,
credentials to ``secrets``), and the keys with no shipform equivalent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shipform.importing.compose_file import digits, scalar, words
from shipform.importing.plan import Port, Service
from shipform.values.checks import SECRET_NAME, exact, matches, secret_shape

UNMAPPED = {
    "privileged": "pods run under Pod Security 'restricted'; no privileged containers",
    "cap_add": "every capability is dropped",
    "cap_drop": "every capability is dropped already",
    "network_mode": "services reach each other only through connects_to",
    "pid": "no host or shared PID namespace",
    "ipc": "no host or shared IPC namespace",
    "devices": "no host devices",
    "extra_hosts": "names resolve through the cluster's DNS",
    "dns": "names resolve through the cluster's DNS",
    "dns_search": "names resolve through the cluster's DNS",
    "security_opt": "seccomp and AppArmor are RuntimeDefault",
    "sysctls": "no sysctls under Pod Security 'restricted'",
    "ulimits": "the runtime's limits apply",
    "userns_mode": "no host user namespace",
    "volumes_from": "services share no volumes",
    "container_name": "containers are named after the service",
    "hostname": "the service is reached by its name",
    "domainname": "the service is reached by its name",
    "labels": "labels are set by shipform (add_labels on a handle adds your own)",
    "logging": "compose logs rotate (json-file, 3 x 10 MB); Kubernetes keeps the runtime's logs",
    "stdin_open": "no interactive containers",
    "tty": "no interactive containers",
    "working_dir": "the image's working directory is used",
    "mac_address": "addresses are assigned",
    "init": "tini is PID 1 in every image shipform builds",
    "stop_signal": "STOPSIGNAL is SIGTERM",
    "stop_grace_period": "termination_grace_period_seconds is the construct's (30 s)",
    "platform": "images build for the platforms CI builds",
    "pull_policy": "images are pinned",
    "shm_size": "no shared memory size",
    "mem_limit": "resources= sets requests and limits",
    "cpus": "resources= sets requests and limits",
    "mem_reservation": "resources= sets requests and limits",
    "cpu_shares": "resources= sets requests and limits",
    "pids_limit": "compose limits every service to 256 processes",
    "cgroup_parent": "no cgroup parent",
    "isolation": "no isolation technology",
    "oom_score_adj": "no OOM score",
    "group_add": "the workload's own group only",
    "configs": "files= mounts your files",
    "secrets": "secrets= mounts SecretRefs",
    "develop": "no develop section",
    "extends": "the extended file is not read",
    "external_links": "services reach each other only through connects_to",
    "annotations": "annotations are set by shipform (add_annotations on a handle)",
    "runtime": "the cluster's runtime",
    "storage_opt": "no storage options",
    "tmpfs": "",
}
"""Service keys the import does not map, with why (an empty reason: mapped below, not listed)."""

HANDLED = {"image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "depends_on",
           "links", "networks", "healthcheck", "volumes", "restart", "profiles", "user", "read_only", "deploy",
           "tmpfs", "scale"}

_HOST_BINDS = re.compile(r"(?:(?P<ip>\[[^\]]+\]|[0-9.]+):)?(?:(?P<host>[0-9-]*):)?(?P<target>[0-9-]+)"
                         r"(?:/(?P<proto>[a-z]+))?")


def ports(service: Service, body: Mapping[str, Any]) -> tuple[list[int], list[int], bool]:
    """(container ports published on the host, container ports only exposed, whether a port is published beyond the
    host's loopback), TCP, in the file's order; UDP ports and ranges are notes."""
    published: list[int] = []
    beyond_loopback = False
    for entry in body.get("ports") or []:
        port = _port_entry(service, entry)
        if port is not None and port not in published:
            published.append(port)
        if port is not None:
            beyond_loopback = beyond_loopback or not _loopback(entry)
    exposed: list[int] = []
    for entry in body.get("expose") or []:
        text = scalar(entry).split("/")[0]
        if digits(text) and int(text) not in published + exposed:
            exposed.append(int(text))
    return published, exposed, beyond_loopback


def _loopback(entry: Any) -> bool:
    """The mapping publishes on the host's loopback only (127.0.0.1:8123:8123): reachable from that machine alone."""
    ip = str(entry.get("host_ip", "")) if isinstance(entry, dict) else \
        (m["ip"] or "") if (m := exact(_HOST_BINDS, scalar(entry))) is not None else ""
    return ip.strip("[]") in ("127.0.0.1", "::1", "localhost")


def _port_entry(service: Service, entry: Any) -> int | None:
    if isinstance(entry, dict):
        target, proto = entry.get("target"), str(entry.get("protocol", "tcp"))
        text = scalar(target) if target is not None else ""
    else:
        m = exact(_HOST_BINDS, scalar(entry))
        if m is None:
            service.note("ports", entry, "not a port mapping the import reads")
            return None
        text, proto = m["target"], m["proto"] or "tcp"
    if proto != "tcp":
        service.note("ports", entry, f"shipform serves TCP ports only, not {proto}")
        return None
    if not digits(text):
        service.note("ports", entry, "port ranges are not served; name each port")
        return None
    number = int(text)
    return number if 0 < number < 65536 else None


def port_names(numbers: list[int], http: bool) -> list[Port]:
    """Named ports: the first 'http' when the service speaks HTTP, else 'tcp'; the others by number."""
    named = []
    for i, number in enumerate(numbers):
        named.append(Port(("http" if http else "tcp") if i == 0 else f"port-{number}", number))
    return named


_HTTP_PROBE = re.compile(r"(?:curl|wget)\b.*?https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(?P<port>[0-9]+))?"
                         r"(?P<path>/[^\s'\"|;&]*)?")


Health = tuple[str, list[object], dict[str, int]]
"""(the Health factory: 'http' or 'exec', its positional arguments, its timings)."""


def health(service: Service, body: Mapping[str, Any], own_probe: bool) -> Health | None:
    """The health check as ``Health``'s factory and arguments: an HTTP check by curl or wget on localhost becomes
    ``Health.http`` where the image has shipform's probe program (``own_probe``), any other test
    ``Health.exec``; None where compose has none."""
    check = body.get("healthcheck")
    if not isinstance(check, dict):
        return None
    if check.get("disable") is True:
        service.info("healthcheck", "disabled in compose; shipform checks the port")
        return None
    command = _test_command(check.get("test"))
    if not command:
        return None
    m = _HTTP_PROBE.search(" ".join(command))
    if m is not None and own_probe:
        return "http", [m["path"] or "/"], _timings(check)
    return "exec", [command], _timings(check)


_TRAEFIK_PORT = re.compile(r"traefik\.http\.services\.[^.]+\.loadbalancer\.server\.port")


def implied_ports(body: Mapping[str, Any]) -> list[int]:
    """The port a service serves on where compose neither publishes nor exposes one: a reverse proxy's label
    (Traefik's ``loadbalancer.server.port``), else the port its HTTP health check calls."""
    labels = body.get("labels")
    pairs = labels.items() if isinstance(labels, dict) else \
        (str(item).partition("=")[::2] for item in labels) if isinstance(labels, list) else []
    for key, value in pairs:
        if matches(_TRAEFIK_PORT, str(key)) and digits(str(value)):
            return [int(str(value))]
    check = body.get("healthcheck")
    m = _HTTP_PROBE.search(" ".join(_test_command(check.get("test")))) if isinstance(check, dict) else None
    return [int(m["port"])] if m is not None and m["port"] else []


def _test_command(test: Any) -> list[str]:
    if isinstance(test, str):
        return ["sh", "-c", test]
    if isinstance(test, list) and test:
        kind, *rest = [scalar(t) for t in test]
        if kind == "CMD" and rest:
            return rest
        if kind == "CMD-SHELL" and rest:
            return ["sh", "-c", " ".join(rest)]
    return []


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|m(?!s)|s|ms|us)")


def _timings(check: Mapping[str, Any]) -> dict[str, int]:
    """Health's keyword arguments for the compose timings (whole seconds, at least 1), the timeout kept shorter
    than the period as Kubernetes wants it."""
    period = seconds_of(check.get("interval"))
    timeout = seconds_of(check.get("timeout"))
    start = seconds_of(check.get("start_period"))
    values: dict[str, int] = {}
    if period is not None:
        values["period_seconds"] = max(2, period)
    if timeout is not None:
        values["timeout_seconds"] = max(1, min(timeout, values.get("period_seconds", 10) - 1))
    if start is not None:
        values["start_period_seconds"] = max(1, start)
    retries = check.get("retries")
    if isinstance(retries, int) and retries > 0:
        values["failure_threshold"] = retries
    return values


def seconds_of(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    factors = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}
    found = _DURATION.findall(value)
    return round(sum(float(n) * factors[u] for n, u in found)) if found else None


_MORE_SECRET_NAMES = re.compile(r"(?:^|_)(?:AUTH|PWD|PASS|PASSPHRASE|SALT|APIKEY)\Z", re.IGNORECASE)
"""Names compose files give credentials that shipform's rule for config does not refuse (REDIS_AUTH, POSTGRES_PWD):
an import errs on the side of a SecretRef."""


def is_secret(name: str, value: str) -> bool:
    """A credential by its name (shipform's own rule for env and config, and the names above) or by its shape."""
    return bool(SECRET_NAME.search(name) or _MORE_SECRET_NAMES.search(name)) or secret_shape(value) is not None


def command(body: Mapping[str, Any]) -> list[str]:
    return words(body.get("command"))
