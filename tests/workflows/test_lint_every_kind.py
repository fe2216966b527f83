"""The lint gate on the workflows of every kind of registry and every way to deploy: actionlint (with shellcheck),
zizmor (offline, auditor and pedantic personas), checkov (github_actions) and yamllint find nothing. One app per
registry kind (GHCR, Docker Hub, ECR, Artifact Registry, ACR, any other registry), each with an Argo CD, a Flux and
a kubectl Environment (the clusters taking turns: EKS, GKE, AKS, a kubeconfig) and build secrets, installing
shipform with pip, poetry or uv; one more whose first Environment is deployed by kubectl (the build's own deploy
job); and the reference apps' committed workflows. The tools run as the validators gate runs them
(tests/validators/gate.py: offline settings, no configuration but yamllint's)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import DIST, exec_app, write_sources
from shipform.render.registries import kind_of
from shipform.synth.pipeline import render
from validators.gate import BIN, environment

pytestmark = [pytest.mark.validators, pytest.mark.slow]

REGISTRIES = {
    "ghcr": "ghcr.io/acme",
    "dockerhub": "docker.io/acme",
    "ecr": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme",
    "gcp": "europe-docker.pkg.dev/acme/images",
    "acr": "acme.azurecr.io/shop",
    "other": "registry.example.com/acme",
}
CLUSTERS = ['Cluster.eks("shop-prod", "eu-west-1")', 'Cluster.gke("shop-prod", "europe-west1")',
            'Cluster.aks("shop-prod", "rg-shop")', "Cluster.kubeconfig()"]
APP = '''
from shipform import *
app = App(NAME, registry=REGISTRY, version="1.0.0", repository="https://github.com/acme/shop.git",
          workflows="output", build_secrets=["pip.conf"], keep_images_days=30)
# Before the first promotion: stage and prod state why they run the images by tag (the workflows are the same).
UNPINNED = "nothing was promoted here yet"
ISSUER = Issuer(name="internal-ca")
DATA = DataStorage("ebs.csi.aws.com")
envs = [Environment(app, "dev", local=True),
        Environment(app, "stage", gitops="flux", unpinned_images=UNPINNED, tls_issuer=ISSUER,
                    destination=Destination(name="stage"), data_storage=DATA),
        Environment(app, "prod", gitops="kubectl", cluster=CLUSTER, unpinned_images=UNPINNED, tls_issuer=ISSUER,
                    data_storage=DATA)]
for env in envs:
    db = StatefulDB(env, "db", engine="postgres", version="16")
    api = WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, connects_to=[db])
    WebService(env, "web", build=Build.node("node", ["node", "server.js"]), port=3000, connects_to=[api])
'''
# How each repository installs shipform in CI (pip's requirements.txt unless named here): every tool's steps and
# cache are linted too (zizmor's cache-poisoning audit: caches in CI only).
INSTALLS = {
    "ecr": {"poetry.lock": "", "pyproject.toml": '[tool.poetry.dependencies]\nshipform = "*"\n'},
    "gcp": {"uv.lock": "version = 1\n",
            "pyproject.toml": '[project]\nname = "shop"\nversion = "1.0.0"\ndependencies = ["shipform"]\n'},
}
FIRST_KUBECTL = APP.replace('Environment(app, "dev", local=True)',
                            'Environment(app, "dev", gitops="kubectl", cluster=Cluster.kubeconfig(), '
                            'tls_issuer=ISSUER, data_storage=DATA)')


def apps() -> dict[str, str]:
    sources = {}
    for i, (kind, registry) in enumerate(REGISTRIES.items()):
        assert kind_of(registry) == kind
        sources[kind] = (APP.replace("NAME", repr(kind)).replace("REGISTRY", repr(registry))
                         .replace("CLUSTER", CLUSTERS[i % len(CLUSTERS)]))
    sources["first-kubectl"] = (FIRST_KUBECTL.replace("NAME", repr("first-kubectl"))
                                .replace("REGISTRY", repr(REGISTRIES["ghcr"])).replace("CLUSTER", CLUSTERS[0]))
    return sources


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> Path:
    """One repository-like tree holding every app's workflows in .github/workflows/."""
    root = tmp_path_factory.mktemp("every-kind")
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, source in apps().items():
        where = root / "apps" / name
        where.mkdir(parents=True)
        write_sources(where)
        for file, text in INSTALLS.get(name, {}).items():
            (where / file).write_text(text)
        for path, text in render(exec_app(source, where), root / "dist").items():
            if path.startswith(".github/workflows/"):
                (folder / path.rsplit("/", 1)[1]).write_text(text)
    assert len(list(folder.glob("*.yaml"))) == 7 * 7  # ci, build, two promotions, the deploy of prod, cleanup, patch
    for committed in DIST.glob("*/.github/workflows/*.yaml"):  # the reference apps' too
        (folder / committed.name).write_text(committed.read_text())
    return root


def tool(root: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=root, env=environment(root / ".scratch"),
                          capture_output=True, text=True, timeout=600)


def test_actionlint_finds_nothing(workflows):
    files = sorted(str(p.relative_to(workflows)) for p in (workflows / ".github" / "workflows").glob("*.yaml"))
    result = tool(workflows, "actionlint", "-no-color", *files)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


@pytest.mark.parametrize("persona", ["auditor", "pedantic"])
def test_zizmor_finds_nothing(workflows, persona):
    result = tool(workflows, "zizmor", "--offline", f"--persona={persona}", "--format", "json", ".github/workflows")
    findings = json.loads(result.stdout or "[]")
    assert [(f["ident"], f["desc"]) for f in findings] == [], result.stderr[-3000:]
    assert "failed to validate" not in result.stderr


def test_checkov_finds_nothing(workflows):
    result = tool(workflows, "checkov", "-d", ".", "--framework", "github_actions", "--skip-download", "--quiet",
                  "-o", "json")
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [(c["check_id"], c["file_path"]) for r in reports
              for c in (r.get("results") or {}).get("failed_checks", [])]
    assert failed == []
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    assert passed > 100  # checkov read the workflows


def test_yamllint_finds_nothing(workflows):
    from shipform.validators.manifests import YAMLLINT_CONFIG as config

    result = tool(workflows, "yamllint", "-c", str(config), "-f", "parsable", ".github/workflows")
    assert (result.returncode, result.stdout) == (0, ""), result.stdout
