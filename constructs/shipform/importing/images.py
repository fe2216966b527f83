"""What an image reference says about the server it runs: a database engine StatefulDB runs, a queue server, or
the port a well-known image listens on. Tables, not if-chains: a new engine of ``model/engines.py`` is one row."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipform.model.engines import ENGINES
from shipform.values.checks import exact

ENGINE_IMAGES = {
    "postgres": "postgres", "postgresql": "postgres",
    "mysql": "mysql", "mysql-server": "mysql",
    "mariadb": "mariadb",
    "mongo": "mongodb", "mongodb": "mongodb", "mongodb-community-server": "mongodb",
    "redis": "redis", "valkey": "redis",
}
"""The last path component of an image name -> the StatefulDB engine that runs the same server."""


@dataclass(frozen=True)
class QueueServer:
    port: int
    scheme: str


QUEUE_IMAGES = {
    "rabbitmq": QueueServer(5672, "amqp"),
    "kafka": QueueServer(9092, "kafka"), "cp-kafka": QueueServer(9092, "kafka"),
    "redpanda": QueueServer(9092, "kafka"),
    "nats": QueueServer(4222, "nats"),
    "activemq": QueueServer(61616, "tcp"), "activemq-classic": QueueServer(61616, "tcp"),
    "activemq-artemis": QueueServer(61616, "tcp"),
}
"""Queue servers shipform runs no construct for: they become an External the app's clients reach."""

KNOWN_PORTS = {
    "nginx": 80, "httpd": 80, "caddy": 80, "traefik": 80, "adminer": 8080, "memcached": 11211,
    "elasticsearch": 9200, "opensearch": 9200, "minio": 9000, "mailhog": 8025, "mailpit": 8025,
    "maildev": 1080, "clickhouse-server": 8123, "all-in-one": 16686, "jaeger": 16686, "zookeeper": 2181,
    "grafana": 3000, "prometheus": 9090, "keycloak": 8080, "meilisearch": 7700, "typesense": 8108,
}
"""The port a well-known image serves on when the compose file publishes or exposes none."""


@dataclass(frozen=True)
class ImageRef:
    name: str
    """The repository without the registry host and library/ (``postgres``, ``valkey/valkey``)."""
    tag: str | None
    digest: str | None
    text: str

    @property
    def last(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def pinned(self) -> bool:
        return self.digest is not None or (self.tag is not None and self.tag != "latest")


_REF = re.compile(r"(?P<name>[^:@]+(?::[0-9]+/[^:@]+)?)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?")


def parse(image: str) -> ImageRef:
    m = exact(_REF, image.strip())
    if m is None:
        return ImageRef(image.strip().lower(), None, None, image)
    name = m["name"].lower()
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return ImageRef("/".join(parts), m["tag"], m["digest"], image)


def engine_of(ref: ImageRef) -> str | None:
    return ENGINE_IMAGES.get(ref.last)


_VERSION = re.compile(r"v?([0-9]+)(?:\.([0-9]+))?(?:[^0-9].*)?", re.DOTALL)
"""A tag's leading version (``15-alpine``, ``7.0.11``, ``v8``), whatever follows it."""


def engine_version(engine: str, tag: str | None) -> tuple[str, str]:
    """(the supported version nearest to the tag's, why it differs or ''): the same major.minor or major where
    StatefulDB pins it, else the lowest supported above it, else the highest."""
    versions = list(ENGINES[engine].versions)
    numbers = exact(_VERSION, tag or "")
    if numbers is None:
        return versions[-1], f"the tag {tag or '(none)'} names no version; the newest supported is {versions[-1]}"
    major, minor = numbers[1], numbers[2]
    asked = f"{major}.{minor}" if minor is not None else major
    if asked in versions:
        return asked, ""
    same_major = [v for v in versions if v.split(".")[0] == major]
    if same_major and (minor is None or "." not in versions[0]):
        return same_major[-1], ""
    if same_major:
        return same_major[-1], f"{asked} is not among the supported versions ({', '.join(versions)})"

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split("."))

    wanted = (int(major), int(minor or 0))
    above = [v for v in versions if key(v) >= wanted]
    chosen = above[0] if above else versions[-1]
    return chosen, f"{asked} is not among the supported versions ({', '.join(versions)})"
