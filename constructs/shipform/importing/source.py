"""The app file for an import plan: Python that imports only shipform's public API, one construct per service
in an order where every name is defined before it is used, each after the comments about its compose keys."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shipform.importing.plan import ImportPlan, Service
from shipform.importing.quota import quota_expression

WIDTH = 120
REGISTRY = "ghcr.io/example"
MIN_REDACTED = 8
"""A credential this long or longer is cut out of comments wherever it appears (as synth's leak check does); shorter
ones, and values the file also uses as plain values or names ('clickhouse'), are words, not secrets."""


@dataclass(frozen=True)
class Raw:
    """Python source written as it is (an expression), not as a literal."""

    text: str


@dataclass(frozen=True)
class Call:
    """A call, laid out where it stands: on one line when it fits, else an argument per line at its indent."""

    name: str
    positional: tuple[object, ...] = ()
    keywords: tuple[tuple[str, object], ...] = ()


def app_source(plan: ImportPlan, compose_name: str, secrets_file: str | None) -> str:
    services = _ordered(plan.services)
    plain = {v for s in plan.services.values() for v in (s.compose, s.name, *s.config.values())}
    secret = sorted({v for v in plan.secret_values.values() if len(v) >= MIN_REDACTED} - plain, key=len, reverse=True)
    body = [_construct(s, plan.services) for s in services]
    quota = quota_expression(services)
    used = sorted({"App", "Environment", "SecureNamespace"} | ({"Quota"} if quota else set())
                  | {n for s in body for n in _NAMES if re.search(rf"\b{n}[.(]", s)})
    lines = [f'"""{plan.app}: imported from {compose_name} by `shipform import compose`.', "",
             "Each `# compose:` comment names a key of the compose file that is not carried over as it was, and why.",
             f"Try it: `shipform synth`, then `docker compose -f dist/{plan.app}/compose/compose.yaml up --build`."]
    if secrets_file:
        lines += [f"Secrets: the compose file's literal values are in {secrets_file}, beside this file (keep it out",
                  "of git); after `shipform synth`: `set -a; . ./" + secrets_file + "; set +a; shipform secrets "
                  "init-local`."]
    lines += ['"""', "", _wrap_import(used), ""]
    lines += [f"# {line}" for note in plan.header for line in _comment(note, secret)]
    lines += [f'app = App({_string(plan.app)}, registry="{REGISTRY}")  # where CI pushes the images it builds: yours',
              'dev = Environment(app, "dev", local=True, domain="localhost")  # public services: <name>.localhost',
              f"ns = SecureNamespace(dev, {_string(plan.app)}{', quota=' + quota if quota else ''})", ""]
    for service, text in zip(services, body, strict=True):
        notes = service.notes + (service.migration.notes if service.migration else [])
        lines += [f"# {line}" for note in notes for line in _comment(note, secret)]
        lines += [text, ""]
    lines += ['if __name__ == "__main__":', "    app.synth()"]
    return "\n".join(lines) + "\n"


_NAMES = ("Build", "External", "Health", "Job", "Migration", "SecretRef", "StatefulDB", "Volume", "WebService",
          "Worker")


def _wrap_import(names: list[str]) -> str:
    line = f"from shipform import {', '.join(names)}"
    if len(line) <= WIDTH:
        return line
    return "from shipform import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def _comment(note: str, secret: list[str]) -> list[str]:
    """One note as comment lines (without '# '), the ``secret`` values cut out, wrapped to the width."""
    for value in secret:
        note = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "<redacted>", note)
    head, marker, why = note.partition(" is not imported: ")
    # Never broken before 'is not imported:', so a search for '<service>.<key>: <value> is not imported' finds it.
    lines: list[str] = []
    line = head + marker.rstrip() if marker else ""
    for word in (why if marker else note).split(" "):
        candidate = f"{line} {word}" if line else word
        if line and len(candidate) > WIDTH - 4:
            lines.append(line)
            line = f"  {word}"
        else:
            line = candidate
    return [*lines, line]


def _ordered(services: dict[str, Service]) -> list[Service]:
    """Every service after the services it connects to and the one whose image it runs (a migration inside its
    service)."""
    done: dict[str, Service] = {}
    visiting: set[str] = set()

    def visit(service: Service) -> None:
        if service.compose in done or service.compose in visiting:
            return
        visiting.add(service.compose)
        needs = [c.target for c in service.connects] + ([service.image_of] if service.image_of else [])
        if service.migration is not None:
            needs += [c.target for c in service.migration.connects]
        for name in needs:
            visit(services[name])
        done[service.compose] = service

    for service in services.values():
        if service.kind != "migration":
            visit(service)
    return list(done.values())


def _construct(s: Service, services: dict[str, Service]) -> str:
    kind = {"web": "WebService", "worker": "Worker", "job": "Job", "db": "StatefulDB", "queue": "External"}[s.kind]
    args: list[tuple[str, object]] = []
    if s.kind == "db":
        args += [("engine", s.engine), ("version", s.version)]
        args += [(k, v) for k, v in (("user", s.db_user), ("database", s.db_name)) if v]
    elif s.kind == "queue":
        args += [("host", f"{s.name}.invalid"), ("port", s.queue_port), ("scheme", s.queue_scheme)]
    else:
        args += _workload_args(s, services)
    call = _call(kind, [Raw("ns"), s.name], args)
    return f"{s.var} = {call}"


def _workload_args(s: Service, services: dict[str, Service]) -> list[tuple[str, object]]:
    args: list[tuple[str, object]] = []
    if s.build is not None:
        args.append(("build", _build(s)))
    elif s.image_of is not None:
        args.append(("image_of", Raw(services[s.image_of].var)))
    else:
        args.append(("image", s.image))
    if s.kind == "web":
        if len(s.ports) == 1 and s.ports[0].name == "http":
            args.append(("port", s.ports[0].number))
        else:
            args.append(("ports", {p.name: p.number for p in s.ports}))
        if s.public:
            args.append(("public", True))
    if s.command and (s.build is None or s.build.preset == "dockerfile"):
        args.append(("command", s.command))
    if s.health is not None and s.kind != "job":
        factory, positional, timings = s.health
        args.append(("health", Call(f"Health.{factory}", tuple(positional), tuple(timings.items()))))
    elif s.kind == "worker":
        args.append(("health", Raw('Health.none("the compose file defines no health check")')))
    if s.connects:
        args.append(("connects_to", [Raw(_target(c.target, c.port, services)) for c in s.connects]))
    if s.config:
        args.append(("config", s.config))
    if s.secrets:
        args.append(("secrets", {k: Call("SecretRef", (n, key)) for k, (n, key) in s.secrets.items()}))
    if s.volumes:
        args.append(("volumes", {k: Raw(v) for k, v in s.volumes.items()}))
    if s.writable_paths:
        args.append(("writable_paths", s.writable_paths))
    if s.run_as is not None:
        args += [("run_as_user", s.run_as[0]), ("run_as_group", s.run_as[1])]
    if s.replicas:
        args.append(("replicas", s.replicas))
    if s.migration is not None:
        m = s.migration
        targets = [Raw(services[c.target].var) for c in m.connects]
        args.append(("migrate", Call("Migration", (m.command,), (("connects_to", targets),))))
    return args


def _target(name: str, port: str | None, services: dict[str, Service]) -> str:
    var = services[name].var
    return f"{var}.on({_string(port)})" if port else var


def _build(s: Service) -> Call:
    b = s.build
    assert b is not None
    if b.preset == "dockerfile":
        return Call("Build.dockerfile", (b.dockerfile,), (("context", b.context),))
    positional: tuple[object, ...] = (b.context, b.command) if b.command else (b.context,)
    return Call(f"Build.{b.preset}", positional, (("args", b.args),) if b.args else ())


def _call(name: str, positional: Iterable[object], keywords: Iterable[tuple[str, object]], indent: int = 0) -> str:
    parts = [_literal(v, indent + 4) for v in positional] + [f"{k}={_literal(v, indent + 4)}" for k, v in keywords]
    flat = f"{name}({', '.join(parts)})"
    if len(flat) + indent + 16 <= WIDTH and "\n" not in flat:
        return flat
    pad = " " * (indent + 4)
    return f"{name}(\n" + "".join(f"{pad}{p},\n" for p in parts) + " " * indent + ")"


def _literal(value: object, indent: int) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Call):
        return _call(value.name, value.positional, value.keywords, indent)
    if isinstance(value, dict):
        return _bracketed("{}", [f"{_literal(k, indent + 4)}: {_literal(v, indent + 4)}" for k, v in value.items()],
                          indent)
    if isinstance(value, list):
        return _bracketed("[]", [_literal(v, indent + 4) for v in value], indent)
    if isinstance(value, str):
        return _string(value)
    return repr(value)


def _string(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's)."""
    return json.dumps(text, ensure_ascii=False)


def _bracketed(brackets: str, items: list[str], indent: int) -> str:
    """A dict's or a list's items on one line when it fits, else one per line (with a trailing comma)."""
    flat = brackets[0] + ", ".join(items) + brackets[1]
    if len(flat) + indent + 20 <= WIDTH:
        return flat
    pad = " " * (indent + 4)
    return brackets[0] + "\n" + "".join(f"{pad}{i},\n" for i in items) + " " * indent + brackets[1]
