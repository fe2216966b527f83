"""compose's rules for the local Environment: it has one namespace (service names must be unique), one host
(published ports too) and starts services in depends_on order (which must not loop)."""

from __future__ import annotations

from shipform import spec
from shipform.errors import ShipformError
from shipform.render.compose_names import LocalNames, local_names
from shipform.render.compose_ports import published_ports


def local_errors(env: spec.Environment) -> list[ShipformError]:
    names = local_names(env)
    return [*_name_clashes(env, names), *_step_clashes(env, names), *_port_clashes(env), *_cycles(env, names)]


def _step_clashes(env: spec.Environment, names: LocalNames) -> list[ShipformError]:
    """A migration that every pod runs first (Flux, kubectl) is the local one-shot service '<name>-migrate'."""
    services: dict[str, spec.Workload] = {}
    for w in env.workloads:
        services.setdefault(names[(w.namespace, w.name)], w)
    steps = {f"{names[(w.namespace, w.name)]}-migrate": w for w in env.workloads
             if isinstance(w.run, spec.Continuous) and w.run.pre_start}
    return [ShipformError(services[step].path, "id", f"is the name compose gives the migration of {w.path}", step,
                          "give the workload another id")
            for step, w in steps.items() if step in services]


def _name_clashes(env: spec.Environment, names: LocalNames) -> list[ShipformError]:
    first: dict[str, spec.Workload] = {}
    errors = []
    for w in env.workloads:
        local = names[(w.namespace, w.name)]
        if local == "x" or local.startswith("x-"):
            errors.append(ShipformError(w.path, "id", "starts compose names with 'x-' (its service or networks), "
                                        "which compose reads as extension fields and drops", local,
                                        "give workloads of the local Environment ids that do not start with 'x-'"))
        other = first.setdefault(local, w)
        if other is not w:
            errors.append(ShipformError(w.path, "id", f"is also the compose name of {other.path}: both would be one "
                                        "service", local, "give workloads of the local Environment different ids, "
                                        "or pass name='...' to one of them"))
    return errors


def _port_clashes(env: spec.Environment) -> list[ShipformError]:
    first: dict[int, spec.Workload] = {}
    errors = []
    for w in env.workloads:
        for port in published_ports(w):
            other = first.setdefault(port, w)
            if other is not w:
                errors.append(ShipformError(w.path, "port", f"is also published by {other.path} on "
                                            f"127.0.0.1:{port} in compose", port,
                                            "give the public services of the local Environment different ports"))
    return errors


def _cycles(env: spec.Environment, names: LocalNames) -> list[ShipformError]:
    """compose starts a service after what it depends on; a loop can never start."""
    def local(ns: str, name: str) -> str:
        return names.get((ns, name), name)

    after = {local(w.namespace, w.name): sorted({*(local(t.namespace, t.name) for t in w.connects_to),
                                                 *(local(w.namespace, n) for n in w.waits_for)})
             for w in env.workloads}
    paths = {local(w.namespace, w.name): w.path for w in env.workloads}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> list[str] | None:
        state[name] = "open"
        for nxt in after.get(name, []):
            if state.get(nxt) == "open":
                return [*trail[trail.index(nxt):], nxt] if nxt in trail else [name, nxt]
            if nxt not in state and (loop := visit(nxt, [*trail, nxt])):
                return loop
        state[name] = "done"
        return None

    for name in sorted(after):
        if name not in state and (loop := visit(name, [name])):
            return [ShipformError(paths[loop[0]], "connects_to", f"forms the loop {' -> '.join(loop)}, which compose "
                                  "cannot start (each service waits for the next)", " -> ".join(loop),
                                  "drop one of these connections, or point it at a service outside the loop")]
    return []
