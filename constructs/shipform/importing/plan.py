"""What the import decided for each compose service, before any Python is written: the construct, its props as
values, the connections, and the comments for what it could not map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["web", "worker", "job", "migration", "db", "queue"]


@dataclass(frozen=True)
class Port:
    name: str
    number: int


@dataclass
class BuildPlan:
    preset: Literal["python", "node", "go", "dockerfile"]
    context: str
    """Relative to the app file's folder, POSIX."""
    command: list[str] = field(default_factory=list)
    dockerfile: str = ""
    args: dict[str, str] = field(default_factory=dict)


@dataclass
class Connection:
    target: str
    """The compose name of the service connected to."""
    port: str | None = None
    """A named port other than the target's main one, when the compose file says which."""


@dataclass
class Service:
    compose: str
    name: str
    var: str
    kind: Kind = "worker"
    image: str | None = None
    build: BuildPlan | None = None
    image_of: str | None = None
    engine: str = ""
    version: str = ""
    storage: str = ""
    db_user: str | None = None
    db_name: str | None = None
    queue_port: int = 0
    queue_scheme: str = ""
    ports: list[Port] = field(default_factory=list)
    image_ports: list[int] = field(default_factory=list)
    """The ports its Dockerfile EXPOSEs, for a service whose compose file names none."""
    public: bool = False
    health: tuple[str, list[object], dict[str, int]] | None = None
    """(``Health``'s factory, its arguments, its timings), or None for the construct's default."""
    command: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, tuple[str, str]] = field(default_factory=dict)
    """{ENV_NAME: (Secret name, key)}."""
    volumes: dict[str, str] = field(default_factory=dict)
    """{folder: Python expression of a Volume or Scratch}."""
    writable_paths: list[str] = field(default_factory=list)
    run_as: tuple[int, int] | None = None
    replicas: int | None = None
    connects: list[Connection] = field(default_factory=list)
    migration: Service | None = None
    """The one-off service run as this service's Migration."""
    migration_of: str | None = None
    """For a migration: the compose name of the service it migrates for."""
    notes: list[str] = field(default_factory=list)
    """Comment lines written above the construct (without '# ')."""

    def note(self, key: str, value: object, why: str) -> None:
        """A compose key the app does not carry: ``<service>.<key>: <value> is not imported: <why>``."""
        self.notes.append(f"compose: {self.compose}.{key}: {_short(value)} is not imported: {why}")

    def info(self, key: str, text: str) -> None:
        """How a compose key was carried over, where that is not obvious from the props."""
        self.notes.append(f"compose: {self.compose}.{key}: {text}")

    @property
    def is_server(self) -> bool:
        """It listens on a port other services can connect to."""
        return self.kind in ("db", "queue") or (self.kind == "web" and bool(self.ports))


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class ImportPlan:
    app: str
    services: dict[str, Service]
    """By compose name, in the file's order."""
    secret_values: dict[tuple[str, str], str]
    """{(Secret name, key): the literal value from the compose file}: for the local secrets file only."""
    unset: list[str]
    header: list[str] = field(default_factory=list)
