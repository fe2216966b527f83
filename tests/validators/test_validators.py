"""The validators as a gate: every validator the reference judge runs, installed by scripts/setup.sh, judges
every reference app's committed output (every folder dist/<app>) and the generated platform app
(tests/apps/platform_app.py, rendered once per session), and any finding fails the suite unless it is

- an accepted risk, stated with its reason where the tool itself reads it: a `checkov.io/skip<N>:
  CKV_X=reason` annotation on the object (for a Dockerfile, checkov's `# checkov:skip=CKV_X:reason`
  comment), or an entry of a `.trivyignore.yaml` in the output folder with `id`, `paths` and a `statement`;
- a digest pin or not a finding for the judge either (shipform.validators.accepted, which `shipform validate`
  honours the same way);
- an open finding (OPEN_FINDINGS below): one that exists today and that the package owner will fix or
  state as an accepted risk. Each has a strict xfail test, so it turns red as soon as the finding is gone
  and the entry has to go too.

No other way to silence a tool counts: the tools run without configuration, and a tree that carries a tool
config file or an inline suppression without the comment that states its reason right above it fails
test_no_finding_is_hidden_from_the_tools. How the tools are run
(offline, once per tree, in the background) is in gate.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shipform.validators.accepted import accepted_because
from shipform.validators.manifests import KUSTOMIZE, crd_schema, crd_schemas, unvalidated_kinds
from validators.gate import BROKEN, PLATFORM, TOOLS, Finding, Gate, Result, Tree, dist_trees

pytestmark = pytest.mark.validators

TREES = [*dist_trees(), PLATFORM]
WORKFLOW_TOOLS = {"actionlint", "zizmor", "check-jsonschema-workflows"}

# Open findings of today, to be fixed or stated as accepted risks by the package owner; each has a strict
# xfail test below. (tool, tree, check) -> where and why it fires.
OPEN_FINDINGS: dict[tuple[str, str, str], str] = {
    ("compose-lint", PLATFORM, "CL-0007"): "compose service `plain` has no read_only: true "
                                           "(read_only_root_filesystem=False, its reason stated for checkov and "
                                           "trivy; compose-lint reads accepted risks only from a config file)",
}


def unexpected(result: Result) -> list[Finding]:
    return sorted(f for f in result.findings
                  if accepted_because(f) is None and (f.tool, result.tree, f.check) not in OPEN_FINDINGS)


def listing(findings: list[Finding], limit: int = 40) -> str:
    lines = [str(f) for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more")
    return "\n".join(lines)


def result_of(gate: Gate, tool: str, tree: str) -> Result:
    result = gate.result(tool, tree)
    if result.skipped:
        where = "dist/" + tree if tree != PLATFORM else "the platform app's output"
        if tool in WORKFLOW_TOOLS:
            pytest.skip(f"{where} has no .github/workflows/ file; {tool} runs as soon as one appears")
        pytest.skip(f"{where} has {result.skipped}: nothing for {tool} to read")
    return result


def uses_tools(*tools: str):
    """The gate runs these tools on each tree the test is parametrized with (see conftest.needed_runs)."""
    def mark(function):
        function.uses_tools = list(tools)
        return function
    return mark


# What each tool must report on tests/validators/broken_tree (checks, or (check, path)), and what it must not
# because the tree accepts it with a reason (a checkov annotation, a .trivyignore.yaml statement) or because the
# namespace's LimitRange and ResourceQuota are in the same folder.
KNOWN_DEFECTS = {
    "hadolint": ({"DL3007", "DL3008"}, set()),
    "dockerfilelint": ({"Base Image Latest Tag"}, set()),
    "checkov": ({"CKV_K8S_16", "CKV_DOCKER_2", "CKV_GHA_2"}, {"CKV_K8S_20"}),
    "trivy": ({"DS-0001", "KSV-0012", ("KSV-0039", "k8s/dev/extra/service-broken-app.yaml")},
              {"KSV-0017", ("KSV-0039", "k8s/dev/deployment-broken-app.yaml")}),
    "kubernetes-validate": ({("schema", "k8s/dev/deployment-broken-app.yaml")}, set()),
    "yamllint": ({("trailing-spaces", "k8s/dev/extra/service-broken-app.yaml")}, set()),
    "check-jsonschema-compose": ({("vendor.compose-spec", "compose/docker-compose.override.yaml")}, set()),
    "check-jsonschema-workflows": ({("vendor.github-workflows", ".github/workflows/ci.yaml")}, set()),
    "docker-compose-config": ({("invalid", "compose/docker-compose.override.yaml"),
                               ("warning", "compose/compose.yaml")}, set()),
    "compose-lint": ({("CL-0002", "compose/compose.yaml")}, set()),
    "dclint": ({"no-version-field", "invalid-schema"}, set()),
    "actionlint": ({"expression", "shellcheck"}, set()),
    "zizmor": ({"template-injection", "dangerous-triggers"}, set()),
}


@pytest.mark.parametrize("tree", [BROKEN])
@pytest.mark.parametrize("tool", TOOLS)
def test_the_gate_sees_known_defects(gate, tool, tree):
    """Every tool runs, reads its kind of files and has its report parsed: the gate can fail."""
    found = gate.result(tool, tree).findings
    seen = {f.check for f in found} | {(f.check, f.path) for f in found}
    must, must_not = KNOWN_DEFECTS[tool]
    assert must - seen == set(), f"{tool} did not report planted defects; it reported:\n{listing(sorted(found))}"
    assert must_not & seen == set(), f"{tool} reported what the tree accepts with a reason"


def test_there_is_output_to_judge():
    assert dist_trees(), "dist/ holds no reference app"
    assert PLATFORM not in dist_trees(), f"a reference app named {PLATFORM!r} would clash with the platform app"


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("tool", TOOLS)
def test_validator_finds_nothing_unexpected(gate, tool, tree):
    found = unexpected(result_of(gate, tool, tree))
    assert found == [], (f"{tool} on {tree}: {len(found)} finding(s); fix the output, or state the risk with its "
                         f"reason where {tool} reads it (see this module's docstring):\n{listing(found)}")


def _open_finding_params():
    for (tool, tree, check), why in sorted(OPEN_FINDINGS.items()):
        yield pytest.param(tool, tree, check, id=f"{tool}-{tree}-{check}",
                           marks=pytest.mark.xfail(strict=True, reason=f"open finding {check} ({tool}, {tree}): {why}"))


@pytest.mark.parametrize(("tool", "tree", "check"), list(_open_finding_params()))
def test_open_finding_is_gone(gate, tool, tree, check):
    """Fails while the finding is there (xfail); passes, and so turns the suite red, once it is gone: then
    remove its OPEN_FINDINGS entry."""
    found = [f for f in gate.result(tool, tree).findings if f.check == check]
    assert found == [], listing(found)


@pytest.mark.parametrize("tree", TREES)
@uses_tools("kubernetes-validate")
def test_every_emitted_kind_is_validated(gate, tree):
    """kubernetes-validate has schemas for the built-in kinds; every other kind emitted must have a vendored
    CRD schema in shipform/validators/crd_schemas/ (checked below), except kustomize's own kustomization.yaml
    (checked below too)."""
    missing = unvalidated_kinds(gate.result("kubernetes-validate", tree))
    assert missing == {}, f"kinds neither kubernetes-validate nor a vendored CRD schema has a schema for: {missing}"


# kustomize's Kustomization fields (kustomize.config.k8s.io/v1beta1)
KUSTOMIZATION_KEYS = {
    "apiVersion", "kind", "metadata", "resources", "components", "namespace", "namePrefix", "nameSuffix",
    "labels", "commonLabels", "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902",
    "images", "replicas", "configMapGenerator", "secretGenerator", "generatorOptions", "generators",
    "transformers", "validators", "crds", "openapi", "replacements", "sortOptions", "buildMetadata", "helmCharts",
}


_objects: dict[Path, list[tuple[Path, dict]]] = {}


def objects(tree: Tree) -> list[tuple[Path, dict]]:
    """(file, object) of every Kubernetes object of the tree, parsed once per session."""
    if tree.root not in _objects:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _objects[tree.root] = [(path, doc) for path in tree.k8s
                               for doc in yaml.load_all(path.read_text(), Loader=loader) if isinstance(doc, dict)]
    return _objects[tree.root]


@pytest.fixture(scope="module")
def trees(gate):
    return lambda name: gate.tree(name).result()


@pytest.mark.parametrize("tree", TREES)
def test_custom_resources_match_their_vendored_crd_schemas(trees, tree, tmp_path):
    result = crd_schemas(trees(tree), tmp_path)
    assert any(crd_schema(str(o.get("apiVersion")), str(o.get("kind"))) for _, o in objects(trees(tree))), \
        "the apps emit ExternalSecrets, so there must be custom resources to check"
    assert [str(f) for f in result.findings] == []


@pytest.mark.parametrize("tree", TREES)
def test_kustomizations_list_existing_files_only(trees, tree):
    found = 0
    for path, obj in objects(trees(tree)):
        if (obj.get("apiVersion"), obj.get("kind")) != KUSTOMIZE:
            continue
        found += 1
        assert set(obj) <= KUSTOMIZATION_KEYS, f"{path}: not kustomize fields: {set(obj) - KUSTOMIZATION_KEYS}"
        resources = obj.get("resources") or []
        assert len(resources) == len(set(resources)), f"{path}: a resource is listed twice"
        for res in resources:
            target = path.parent / res
            assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{path}: {res} does not exist"
    assert found, "every environment folder has a kustomization.yaml"


# ---------------------------------------------------------------------------------------------- accepted risks

CHECKOV_ANNOTATION = re.compile(r"^checkov\.io/skip\d+$")
CHECKOV_ANNOTATION_VALUE = re.compile(r"^(CKV2?_[A-Z0-9_]+)=(.*)$", re.S)
CHECKOV_COMMENT = re.compile(r"checkov:skip=(CKV2?_[A-Z0-9_]+)(?::(.*))?")
# Config files that make a tool skip checks, and inline suppressions, of every tool the gate runs.
TOOL_CONFIG_FILES = re.compile(
    r"^(\.checkov\.ya?ml|\.hadolint\.ya?ml|\.yamllint(\.ya?ml)?|\.trivyignore|trivy\.ya?ml|\.compose-lint\.ya?ml"
    r"|\.dclintrc.*|dclint\.config\..*|\.dockerfilelintrc|zizmor\.ya?ml|actionlint\.ya?ml)$")
INLINE_SUPPRESSIONS = re.compile(
    r"hadolint\s+(global\s+)?ignore|trivy:ignore|yamllint\s+disable|dclint\s+disable|zizmor:\s*ignore"
    r"|shellcheck\s+disable|kics-scan\s+ignore")


def files_of(tree: Tree) -> list[Path]:
    return [p for p in sorted(tree.root.rglob("*")) if p.is_file()]


@pytest.mark.parametrize("tree", TREES)
def test_accepted_risks_state_their_reason(trees, tree):
    t = trees(tree)
    problems = []
    for path, obj in objects(t):
        for key, value in ((obj.get("metadata") or {}).get("annotations") or {}).items():
            if CHECKOV_ANNOTATION.match(key):
                m = CHECKOV_ANNOTATION_VALUE.match(str(value))
                if not m or not m[2].strip():
                    problems.append(f"{t.rel(path)}: {key}: {value!r} is not 'CKV_X=<why the risk is accepted>'")
    for path in t.dockerfiles:
        for m in CHECKOV_COMMENT.finditer(path.read_text()):
            if not (m[2] or "").strip():
                problems.append(f"{t.rel(path)}: checkov:skip={m[1]} gives no reason")
    for path in t.root.rglob(".trivyignore.yaml"):
        data = yaml.safe_load(path.read_text()) or {}
        assert isinstance(data, dict), f"{t.rel(path)} is not a mapping"
        for entry in data.get("misconfigurations") or []:
            if not (isinstance(entry, dict) and entry.get("id") and entry.get("paths")
                    and str(entry.get("statement") or "").strip()):
                problems.append(f"{t.rel(path)}: {entry!r} needs an id, paths and a statement (else not honoured)")
    assert problems == []


def states_reasons(path: Path) -> bool:
    """A .dockerfilelintrc (the one place dockerfilelint reads accepted risks) that only turns rules off, each
    right after the comment that states why; any other tool config file never counts."""
    if path.name != ".dockerfilelintrc":
        return False
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    comment = [line for line in lines if line.startswith("#")]
    rules = [line for line in lines if not line.startswith("#")]
    if rules[:1] != ["rules:"] or not all(re.fullmatch(r"  [a-z_]+: off", line) for line in rules[1:]):
        return False
    reason = " ".join(line.lstrip("# ") for line in comment[1:])  # the first line is shipform's marker
    return len(rules) > 1 and len(reason) > 40 and lines.index(rules[0]) == len(comment)


@pytest.mark.parametrize("tree", TREES)
def test_no_finding_is_hidden_from_the_tools(trees, tree):
    t = trees(tree)
    configs = [t.rel(p) for p in files_of(t) if TOOL_CONFIG_FILES.match(p.name) and not states_reasons(p)]
    assert configs == [], "tool config files would skip checks without a stated reason"
    inline = []
    for p in t.dockerfiles + t.yamls:
        lines = p.read_text().splitlines()
        for n, line in enumerate(lines, 1):
            # A suppression may stand only right after the comment that states its reason.
            reason = lines[n - 2].strip() if n > 1 else ""
            if INLINE_SUPPRESSIONS.search(line) and not (reason.startswith("#") and len(reason) > 20
                                                         and not INLINE_SUPPRESSIONS.search(reason)):
                inline.append(f"{t.rel(p)}:{n}: {line.strip()}")
    assert inline == [], "inline suppressions hide findings without a stated reason"
