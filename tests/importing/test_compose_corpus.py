"""The compose import on real-world compose files (compose_corpus/README.md names their sources): every file
imports, the app synthesizes with no error, the import's connections are the ones compose implies, and no literal
credential of the compose file reaches the app file or the output. The expected connections are computed here from
the compose file with rules of this test's own (depends_on, links, host names in environment values, user networks
shared with a database or queue image), not with the import's code; a connection the import does not make must be
named by a `# compose: <service>.<key>: <other> is not imported` comment in the app."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from shipform.cli import cli
from shipform.importing.importer import import_compose

CORPUS = Path(__file__).parent / "compose_corpus"
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
FOLDERS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
PYPROJECT = '[project]\nname = "imported"\nversion = "0"\ndependencies = ["shipform"]\n'
SERVER_IMAGES = {"postgres", "postgresql", "mysql", "mariadb", "mongo", "redis", "valkey", "rabbitmq", "kafka", "nats"}
CREDENTIAL = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|_KEY$|^KEY$|CREDENTIAL|PRIVATE|_AUTH$", re.IGNORECASE)
HOSTISH = re.compile(r"HOST|SERVER|ADDR|ENDPOINT|BROKER|SEEDS|NODES|URL|URI|DSN|SERVICE|TARGET|PEER", re.IGNORECASE)


def compose_file(folder: Path) -> Path:
    """The compose file of a fixture: at its top, or in a subfolder (whose build contexts lead up to the top)."""
    return next(p for n in COMPOSE_NAMES for p in [folder / n, *sorted(folder.glob(f"*/{n}"))] if p.is_file())


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- what compose implies, by this test's own reading
def dotenv(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines() if path.is_file() else []:
        line = line.strip().removeprefix("export ")
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            value = value.strip().split(" #")[0].strip()
            values[name.strip()] = value[1:-1] if value[:1] in "'\"" and value[-1:] == value[:1] else value
    return values


def expand(text: str, env: dict[str, str]) -> str:
    pattern = re.compile(r"\$\{(\w+)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$\$|\$([A-Za-z_]\w*)")

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        if m[4]:
            return env.get(m[4], "")
        value, op, arg = env.get(m[1]), m[2] or "", m[3] or ""
        if op.endswith("-") and (value is None or (op == ":-" and value == "")):
            return expand(arg, env)
        return value or ""

    return pattern.sub(one, text)


def environment(body: dict[str, Any], folder: Path, env: dict[str, str]) -> dict[str, str]:
    files = body.get("env_file") or []
    values: dict[str, str] = {}
    for file in [files] if isinstance(files, str) else files:
        values.update(dotenv(folder / (file if isinstance(file, str) else file["path"])))
    declared = body.get("environment") or {}
    pairs = declared.items() if isinstance(declared, dict) else (str(e).partition("=")[::2] for e in declared)
    for name, value in pairs:
        values[str(name)] = expand(str(value), env) if value is not None else ""
    return values


def implied_edges(path: Path) -> set[tuple[str, str, str]]:
    """(client, server, compose key) for every connection the compose file implies."""
    data = yaml.safe_load(path.read_text())
    services: dict[str, dict[str, Any]] = data["services"]
    env = dotenv(path.parent / ".env")
    reached_as = {n: n for n in services} | {b[k]: n for n, b in services.items() for k in ("container_name",
                                                                                               "hostname") if k in b}
    edges = set()
    for name, body in services.items():
        depends = body.get("depends_on") or []
        edges |= {(name, str(t), "depends_on") for t in depends}
        edges |= {(name, str(t).split(":")[0], "links") for t in body.get("links") or []}
        for var, value in environment(body, path.parent, env).items():
            hosts = re.findall(r"://(?:[^@/\s]*@)?([\w.-]+)", value) + re.findall(r"(?<![\w./@-])([\w.-]+):\d+", value)
            hosts += [value.strip()] if HOSTISH.search(var) else []
            edges |= {(name, reached_as[h], "environment") for h in hosts if h in reached_as}
    networks: dict[str, set[str]] = {}
    for name, body in services.items():
        for network in body.get("networks") or []:
            networks.setdefault(network, set()).add(name)

    def server(name: str) -> bool:
        image = expand(str(services[name].get("image", "")), env)
        return "build" not in services[name] and image.split(":")[0].split("/")[-1] in SERVER_IMAGES

    for members in networks.values():
        edges |= {(a, b, "networks") for a in members for b in members if a != b and server(b) and not server(a)}
    return {e for e in edges if e[0] != e[1] and e[1] in services}


def literal_credentials(path: Path) -> set[str]:
    """Values of credential-named variables, 8 characters or more, that the file uses nowhere as a plain value."""
    data = yaml.safe_load(path.read_text())
    env = dotenv(path.parent / ".env")
    secret, plain = set(), set()
    for body in data["services"].values():
        for var, value in environment(body, path.parent, env).items():
            (secret if CREDENTIAL.search(var) else plain).add(value)
    return {v for v in secret - plain if len(v) >= 8}


# ---------------------------------------------------------------------------------------------------- the tests
@pytest.mark.slow
@pytest.mark.parametrize("folder", FOLDERS)
def test_import_synthesizes_with_the_graph_compose_implies(folder: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / folder
    shutil.copytree(CORPUS / folder, work)
    (work / "pyproject.toml").write_text(PYPROJECT)
    compose = compose_file(work)
    monkeypatch.chdir(work)
    result = invoke("import", "compose", str(compose), "-o", "app.py")
    assert result.exit_code == 0, result.stderr
    result = invoke("synth", "app.py")
    assert result.exit_code == 0, result.stderr
    assert "error" not in result.stderr.lower()

    source = (work / "app.py").read_text()
    app = runpy.run_path(str(work / "app.py"))["app"]
    plan = import_compose(compose, work)
    compose_name = {s.name: s.compose for s in plan.services.values()}
    compose_name |= {f"{s.name}-migrate": s.migration.compose for s in plan.services.values() if s.migration}
    local = app.local_environment.to_spec()
    made = {(compose_name[w.name], compose_name[t.name]) for w in local.workloads for t in w.connects_to}

    implied = implied_edges(compose)
    assert made <= {(a, b) for a, b, _ in implied}, "connections compose does not imply"
    explained = {(a, b) for a, b, key in implied if f"# compose: {a}.{key}: {b} is not imported" in source}
    missing = {(a, b) for a, b, _ in implied} - made - explained
    assert not missing, f"connections compose implies that the app neither makes nor names: {sorted(missing)}"

    dist = "\n".join(p.read_text(errors="replace") for p in (work / "dist").rglob("*") if p.is_file())
    for value in literal_credentials(compose):
        assert value not in source, "a literal credential in the app file"
        assert value not in dist, "a literal credential in the output"
