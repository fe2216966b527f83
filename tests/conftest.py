"""Shared fixtures: small apps built in a temporary folder, rendered in memory or written to disk."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

import parallel

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "dist"


def write_sources(root: Path) -> None:
    """Minimal but real source layouts for the three presets, in a folder that declares shipform (what CI
    installs)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("shipform\n")
    (root / "py").mkdir(parents=True, exist_ok=True)
    (root / "py" / "requirements.txt").write_text("flask==3.1.0\n")
    (root / "node").mkdir(exist_ok=True)
    (root / "node" / "package.json").write_text('{"name": "n", "version": "1.0.0"}\n')
    (root / "node" / "package-lock.json").write_text('{"name": "n", "lockfileVersion": 3, "packages": {}}\n')
    (root / "go").mkdir(exist_ok=True)
    (root / "go" / "go.mod").write_text("module example.com/x\n\ngo 1.23\n")
    # A team's own Dockerfile (Build.dockerfile), and one that would run as root.
    (root / "own").mkdir(exist_ok=True)
    (root / "own" / "Dockerfile").write_text('FROM python:3.12.8-slim-bookworm AS build\nUSER 0\n'
                                             'FROM python:3.12.8-slim-bookworm\nWORKDIR /app\nCOPY . .\n'
                                             'USER 10001:10001\nCMD ["python", "-m", "app"]\n')
    (root / "own" / "root.Dockerfile").write_text('FROM python:3.12.8-slim-bookworm\nCMD ["python"]\n')
    # Files to mount with files=: a good one, and two that must be refused.
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "app.yaml").write_text("log_level: info\nworkers: 4\n")
    (root / "config" / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    (root / "config" / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n"
                                                "  namespace: back\ndata:\n  search: 'on'\n")
    (root / "config" / "broken.yaml").write_text("kind: [unclosed\n")
    (root / "config" / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
                                                 "stringData:\n  password: hunter2-value\n")
    (root / "config" / "tls.pem").write_text("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n")


@pytest.fixture
def app_root(tmp_path: Path) -> Path:
    write_sources(tmp_path)
    return tmp_path


@functools.cache
def _crd_validator(group: str, kind: str, version: str):
    from jsonschema import Draft7Validator

    from shipform.validators.manifests import CRD_SCHEMAS

    path = CRD_SCHEMAS / group / f"{kind.lower()}_{version}.json"
    return Draft7Validator(json.loads(path.read_text()))


def assert_match_crd_schemas(manifests: list[dict]) -> None:
    """Every custom resource given is valid against its published CRD schema (shipform/validators/crd_schemas);
    at least one."""
    assert manifests, "no objects to check"
    for manifest in manifests:
        group, _, version = manifest["apiVersion"].rpartition("/")
        errors = [e.message for e in _crd_validator(group, manifest["kind"], version).iter_errors(manifest)]
        assert errors == [], (manifest["kind"], manifest["metadata"]["name"])


def deployer_grant(group: str, *resources: str) -> dict:
    """The deployer Role's rule that lets it apply exactly ``resources`` of ``group``."""
    return {"apiGroups": [group], "resources": sorted(resources),
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}


@pytest.fixture(scope="module")
def module_app_root(tmp_path_factory) -> Path:
    """app_root shared by a module's tests (for fixtures that synthesize once per module)."""
    root = tmp_path_factory.mktemp("app")
    write_sources(root)
    return root


@pytest.fixture
def new_app(app_root: Path):
    """A factory: new_app() -> (app, dev, prod) with the sources above as build contexts."""
    from shipform import App, DataStorage, Environment, Issuer

    def factory(**app_props):
        app = App("shop", registry="ghcr.io/acme", root=app_root, **app_props)
        dev = Environment(app, "dev", local=True, domain="dev.example.com")
        prod = Environment(app, "prod", replicas=3, domain="example.com",
                           unpinned_images="a test app: its images are never pushed",
                           tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))
        return app, dev, prod

    return factory


def manifests(env) -> dict[tuple[str, str], dict]:
    """{(kind, name): manifest} of one environment, exactly as cdk8s sees it."""
    import cdk8s

    return {(m["kind"], m["metadata"]["name"]): m for m in cdk8s.Testing.synth(env)}


def exec_app(source: str, folder: Path):
    """Run app source as if it were the file ``folder/app.py`` and return the last App it created."""
    from shipform import collect_apps

    with collect_apps() as apps:
        exec(compile(source, str(folder / "app.py"), "exec"), {"__file__": str(folder / "app.py")})
    assert apps, "the source created no App"
    return apps[-1]


def synthesized_source(source: str, folder: Path) -> dict[str, str]:
    """{path: text} of the App that app source creates, run as ``folder/app.py`` beside the example sources."""
    from shipform.testing import synthesize

    write_sources(folder)
    return synthesize(exec_app(source, folder))


def k8s_objects(files: dict[str, str], env: str) -> dict[str, dict]:
    """{path: object} of an Environment's Kubernetes files (its kustomization left out)."""
    import yaml

    return {path: yaml.safe_load(text) for path, text in files.items()
            if path.startswith(f"k8s/{env}/") and path.endswith(".yaml") and "kustomization" not in path}


@pytest.fixture(scope="session")
def platform_app(tmp_path_factory):
    """(app, {path: text}) of tests/apps/platform_app.py (at scale 2), built and rendered once per test session."""
    from apps.platform_app import build
    from shipform.synth.pipeline import render

    root = tmp_path_factory.mktemp("platform")
    write_sources(root)
    app = build(root, scale=2)  # every construct and prop family, half the services: the unit tests stay quick
    return app, render(app, root / "out")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    parallel.assign_groups(items)  # used by the README's `-n 2 --dist loadgroup` (tests/parallel.py)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # pytest-xdist's controller: a worker finished
    parallel.receive_sections(node)


def pytest_terminal_summary(terminalreporter) -> None:
    parallel.print_shared_sections(terminalreporter)
