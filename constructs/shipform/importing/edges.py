"""Which services talk to which, as compose implies it: ``depends_on`` (both forms), ``links``, host names of other
services in environment values (URLs, ``host:port``, ``DB_HOST=db``) and user networks shared with a server; then
the edges that can be ``connects_to`` (a client to a server with a port, no loop compose could not start)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shipform.importing import compose_file
from shipform.importing.plan import Connection, Service
from shipform.values import checks

HOST_KEY = re.compile(r"HOST|SERVER|ADDR|ENDPOINT|BROKER|NODES|SEEDS|URL|URI|DSN|SERVICE|TARGET|PEER", re.IGNORECASE)
"""Names of variables whose whole value may be a host name (``DB_HOST=db``); other values count only where a host
stands in a URL or ``host:port``."""
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/@\s]*@)?(?P<hosts>[^/?#\s]+)")
_HOST_PORT = re.compile(r"(?<![\w.@/-])(?P<host>[A-Za-z0-9][A-Za-z0-9_.-]*):(?P<port>[0-9]{1,5})(?![\w.])")
_WITH_PORT = re.compile(r".*:[0-9]+", re.DOTALL)
ORDER = ("depends_on", "links", "environment", "networks")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    key: str
    """The compose key it comes from: one of ORDER."""
    port: int | None = None


def aliases(services: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """{name a service is reached by: the service}: its name, container_name, hostname, network aliases."""
    found = {name: name for name in services}
    for name, body in services.items():
        for key in ("container_name", "hostname"):
            if isinstance(body.get(key), str):
                found.setdefault(body[key], name)
        for names in compose_file.networks(body).values():
            for alias in names:
                found.setdefault(alias, name)
        for target, alias in compose_file.links(body).items():
            if target in services:
                found.setdefault(alias, target)
    return found


def compose_edges(services: Mapping[str, Mapping[str, Any]]) -> list[Edge]:
    """depends_on, links and environment edges, deduplicated by (source, target, key), in the file's order."""
    names = aliases(services)
    edges: dict[tuple[str, str, str], Edge] = {}

    def add(edge: Edge) -> None:
        if edge.source != edge.target and edge.target in services:
            key = (edge.source, edge.target, edge.key)
            if key not in edges or (edges[key].port is None and edge.port is not None):
                edges[key] = edge

    for source, body in services.items():
        for target in compose_file.depends_on(body):
            add(Edge(source, target, "depends_on"))
        for target in compose_file.links(body):
            add(Edge(source, target, "links"))
        for var, value in (body.get("environment") or {}).items():
            for host, port in hosts_in(var, value or ""):
                if host in names:
                    add(Edge(source, names[host], "environment", port))
    return list(edges.values())


def hosts_in(name: str, value: str) -> list[tuple[str, int | None]]:
    """(host, port or None) for each host a variable's value names."""
    found: list[tuple[str, int | None]] = []
    for m in _URL.finditer(value):
        for part in m["hosts"].split(","):
            host, _, port = part.rpartition(":") if checks.matches(_WITH_PORT, part) else (part, "", "")
            found.append((host.lower(), int(port) if port else None))
    for m in _HOST_PORT.finditer(_URL.sub(" ", value)):
        found.append((m["host"].lower(), int(m["port"])))
    if HOST_KEY.search(name):
        for word in re.split(r"[,\s]+", value.strip()):
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", word):
                found.append((word.lower(), None))
    return found


def network_edges(services: Mapping[str, Mapping[str, Any]], planned: Mapping[str, Service]) -> list[Edge]:
    """A user network (any but 'default') shared by a client and a database or queue server: the client reaches
    it. Between two application services a network alone says nothing about who calls whom."""
    members: dict[str, list[str]] = {}
    for name, body in services.items():
        for network in compose_file.networks(body):
            if network != "default":
                members.setdefault(network, []).append(name)
    edges = []
    for names in members.values():
        for source in names:
            for target in names:
                if source != target and planned[target].kind in ("db", "queue") and \
                        planned[source].kind not in ("db", "queue"):
                    edges.append(Edge(source, target, "networks"))
    return edges


def connect(planned: Mapping[str, Service], edges: Iterable[Edge]) -> None:
    """Each edge as a Connection of its source where shipform can carry it, else a note saying why not; edges in
    ORDER's priority, one per pair, none that closes a loop."""
    done: set[tuple[str, str]] = set()
    for edge in sorted(edges, key=lambda e: ORDER.index(e.key)):
        pair = (edge.source, edge.target)
        if pair in done:
            continue
        done.add(pair)
        source, target = planned[edge.source], planned[edge.target]
        why = _refusal(planned, source, target)
        if why:
            source.note(edge.key, edge.target, why)
            continue
        named = next((p.name for p in target.ports[1:] if p.number == edge.port), None)
        source.connects.append(Connection(edge.target, named))


def _refusal(planned: Mapping[str, Service], source: Service, target: Service) -> str:
    if source.kind in ("db", "queue"):
        return f"a {'database' if source.kind == 'db' else 'queue server'} connects to nothing"
    if source.kind == "migration":
        return "" if target.kind == "db" else "a migration reaches its service's databases only"
    if target.kind == "migration":
        return f"it is the migration of {target.migration_of}, which shipform runs before that service starts"
    if target.kind == "job":
        return "it is a one-off job; shipform starts no service after a job"
    if not target.is_server:
        return "it serves no port shipform knows (publish or expose one in compose)"
    if _reaches(planned, target.compose, source.compose):
        return "it would close a loop of connections, which compose cannot start"
    return ""


def _reaches(planned: Mapping[str, Service], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(c.target for c in planned[name].connects)
            todo.extend(s.compose for s in planned.values() if s.migration_of == name)
    return False
