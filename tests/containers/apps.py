"""The reference apps' images: what each generated Dockerfile must produce, from the construct and its output."""

from __future__ import annotations

import functools
import re
import runpy
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "dist"
TINI = ["/usr/local/bin/tini", "--"]


@dataclass(frozen=True)
class Image:
    """One generated Dockerfile of a reference app and what its construct declared for it."""

    app: str
    service: str
    dockerfile: Path
    context: Path
    command: list[str]
    health_test: list[str] | None
    http_health_path: str | None
    health_timings: tuple[int, int, int] | None  # interval, timeout, retries (seconds, seconds, count)
    uid: int
    gid: int
    port: int | None
    grace_seconds: int

    @property
    def id(self) -> str:
        return f"{self.app}/{self.service}"

    @property
    def tag(self) -> str:
        """Named like compose names the image of a service with `build:` (project = app name)."""
        return f"localhost/{self.app}-{self.service}:latest"

    @property
    def ignorefile(self) -> Path:
        return self.dockerfile.with_name("Dockerfile.dockerignore")


def dockerfile_ids() -> list[str]:
    """`app/service` of every generated Dockerfile; cheap, so tests can be parametrized at collection."""
    return sorted(f"{p.parents[2].name}/{p.parent.name}" for p in DIST.glob("*/docker/*/Dockerfile"))


def app_names() -> list[str]:
    return sorted(p.parent.name for p in (REPO / "apps").glob("*/app.py") if (DIST / p.parent.name).is_dir())


@functools.cache
def images(app_name: str) -> dict[str, Image]:
    """{service: Image} from the app's constructs (Python, so jsii starts once per app and session)."""
    app = runpy.run_path(str(REPO / "apps" / app_name / "app.py"))["app"]
    found: dict[str, Image] = {}
    for env in app.environments:
        for w in env.workloads:
            if w.build is not None and w.name not in found:
                found[w.name] = image_of(app, w)
    return found


def image_of(app, w) -> Image:
    health = w.health
    return Image(
        app=app.name, service=w.name, dockerfile=DIST / app.name / "docker" / w.name / "Dockerfile",
        context=(app.root / w.build.context).resolve(),
        command=list(w.command or w.build.command or w.build.preset_spec.default_command),
        health_test=health.exec_test() if health else None,
        http_health_path=health.path if health and health.kind == "http" else None,
        health_timings=(health.period_seconds, health.timeout_seconds, health.failure_threshold) if health else None,
        uid=w.run_as_user, gid=w.run_as_group, port=w.port, grace_seconds=w.termination_grace_period_seconds,
    )


def k8s_declarations(app_name: str, service: str) -> dict[str, dict]:
    """{environment: {uid, gid, ports}} of the service's container in each environment's Kubernetes output."""
    declared = {}
    for path in sorted((DIST / app_name / "k8s").glob(f"*/deployment-*-{service}.yaml")):
        doc = yaml.safe_load(path.read_text())
        if doc["metadata"]["name"] != service:
            continue
        pod = doc["spec"]["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == service)
        security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        declared[path.parent.name] = {
            "uid": security.get("runAsUser"), "gid": security.get("runAsGroup"),
            "ports": [p["containerPort"] for p in container.get("ports", [])],
        }
    return declared


def compose_file(app_name: str) -> Path:
    return DIST / app_name / "compose" / "compose.yaml"


def compose_document(app_name: str) -> dict | None:
    path = compose_file(app_name)
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def compose_service(app_name: str, service: str) -> dict | None:
    """The compose service that builds the image of ``service``: the service of that name, or, where compose names
    it after its namespace too (a name several namespaces share), the first that builds from its Dockerfile."""
    services = (compose_document(app_name) or {}).get("services", {})
    if service in services:
        return services[service]
    dockerfile = f"/docker/{service}/Dockerfile"
    return next((s for _, s in sorted(services.items()) if str((s.get("build") or {}).get("dockerfile", ""))
                 .endswith(dockerfile)), None)


def duration_seconds(text: str | int | float) -> float:
    """Compose durations ('1m30s', '60s', '500ms') in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(text))
    return sum(float(n) * units[u] for n, u in parts) if parts else float(text)
