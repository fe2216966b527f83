"""The import as one function: a compose file in, the app's plan out (then :mod:`.source` writes it)."""

from __future__ import annotations

from pathlib import Path

from shipform.importing import edges
from shipform.importing.compose_file import load
from shipform.importing.facts import port_names
from shipform.importing.plan import ImportPlan, Service
from shipform.importing.services import mark_one_offs, name_of, plan_services
from shipform.render.secret_commands import ASKED_PREFIX


def import_compose(path: Path, app_folder: Path) -> ImportPlan:
    """The plan of the app for the compose file at ``path``, its build contexts relative to ``app_folder`` (where
    the app file goes)."""
    compose = load(path)
    planned = plan_services(compose, app_folder)
    mark_one_offs(planned, compose.services)
    found = edges.compose_edges(compose.services)
    _ports_from_edges(planned, found)
    edges.connect(planned, [*found, *edges.network_edges(compose.services, planned)])
    _migration_targets(planned)
    _one_public_per_port(planned)
    secret_values = {}
    for name, service in planned.items():
        for var, pair in service.secrets.items():
            secret_values[pair] = str(compose.services[name]["environment"][var])
    header = [f"compose: ${{{var}}} is unset (no value in .env): imported as ''" for var in compose.unset]
    app = compose.name if compose.named else app_folder.resolve().name  # the project the app file is in
    return ImportPlan(name_of(app, set()), planned, secret_values, compose.unset, header)


def _ports_from_edges(planned: dict[str, Service], found: list[edges.Edge]) -> None:
    """A workload that publishes and exposes no port but that others reach at one (``api:8000`` in their
    environment) serves that port."""
    for edge in found:
        target = planned[edge.target]
        if edge.port is not None and not target.ports and target.kind == "worker":
            target.ports = port_names([edge.port], edge.port in (80, 8000, 8080, 3000, 5000))
            target.kind = "web"
            target.info("ports", f"{edge.port}, where {edge.source} reaches it")


def _migration_targets(planned: dict[str, Service]) -> None:
    """A migration reaches databases of its service only (Migration's rule): the others are notes."""
    for service in planned.values():
        if service.kind != "migration" or service.migration_of is None:
            continue
        parent = {c.target for c in planned[service.migration_of].connects}
        kept = []
        for connection in service.connects:
            if connection.target in parent:
                kept.append(connection)
            else:
                service.note("depends_on", connection.target, f"a migration reaches only databases its service "
                             f"{service.migration_of} connects to")
        service.connects = kept


def _one_public_per_port(planned: dict[str, Service]) -> None:
    """compose publishes a public service's main port on 127.0.0.1 at its own number: one service per number."""
    taken: dict[int, str] = {}
    for service in planned.values():
        if not service.public:
            continue
        port = service.ports[0].number
        if port in taken:
            service.public = False
            service.note("ports", port, f"{taken[port]} is public on the same port, and compose publishes a public "
                         "service's main port at its own number on 127.0.0.1")
        else:
            taken[port] = service.compose


def secret_variable(secret: str, key: str) -> str:
    """The variable ``shipform secrets init-local`` reads a value from outside shipform from."""
    import re

    base = re.sub(r"[^A-Za-z0-9]+", "_", f"{secret}_{key}").strip("_").upper()
    return ASKED_PREFIX + (f"S_{base}" if base[:1] in "0123456789" else base)
