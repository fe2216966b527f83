"""The cleanup workflow's script, run as a runner runs it against a registry faked in a file (fake_registry.py):
through the registry API (skopeo) and through GHCR's packages API (gh). It deletes exactly the sha- tags no lock
entry names and whose commit is older than KEEP_DAYS, with their signatures and attestations, once per digest; it
keeps version tags, digests a kept tag also names, young tags and tags of commits it does not know; a dry run
deletes nothing and says what would go. (tests/act/test_cleanup.py runs the generated workflow under act against a
real registry.)"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from shipform.render.workflow_cleanup import CLEANUP
from workflows import fake_registry
from workflows.fake_registry import digest_of
from workflows.steps import fake_tool, git, run_script

DAY = 86400
OLD = {"A": "dev", "B": "prod", "G": "built", "C": None, "D": None, "E": None, "H": None}
"""Commits 90 days old, and which lock section names the image built from each (None: none)."""


def manifest(name: str) -> str:
    return json.dumps({"schemaVersion": 2, "image": name})


class Setup:
    """A git repository with the commits, its lock, and the registry state of one image repository."""

    def __init__(self, root: Path, repository: str):
        self.root, self.repository = root, repository
        self.work = root / "repo"
        self.work.mkdir(parents=True)
        git(self.work, "init", "-q", "-b", "main")
        self.commits: dict[str, str] = {}
        now = int(time.time())
        for name, age in [*((n, 90) for n in OLD), ("H2", 90), ("F", 2)]:
            stamp = f"@{now - age * DAY} +0000"
            git(self.work, "commit", "-q", "--allow-empty", "-m", name,
                env={"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp})
            self.commits[name] = git(self.work, "rev-parse", "HEAD")
        self.manifests: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        for name in self.commits:
            text = manifest(name.rstrip("2"))  # H and H2: two builds of one digest
            self.manifests[digest_of(text)] = text
            self.tags[f"sha-{self.commits[name]}"] = digest_of(text)
        self.tags["1.0.0"] = self.digest("C")  # a release of C's digest
        self.tags["sha-" + "0" * 40] = self.add("unknown")
        self.tags["sha-main"] = self.add("not-a-commit")
        self.referrers = {n: self.sign(n) for n in ("A", "D")}  # referrers listed at the fallback tag
        self.legacy = self.add("cosign v2 signature of E")  # cosign v2's tag scheme
        self.tags[f"sha256-{self.digest('E').removeprefix('sha256:')}.sig"] = self.legacy
        lock = {"built": {repository: {"digest": self.digest("G")}},
                "environments": {env: {f"{repository}:1.0.0": self.digest(n)} for n, env in OLD.items()
                                 if env in ("dev", "prod")}}
        (self.work / "shipform.lock.json").write_text(json.dumps(lock))
        self.state = root / "registry.json"
        self.save()

    def digest(self, name: str) -> str:
        return digest_of(manifest(name))

    def add(self, text: str) -> str:
        self.manifests[digest_of(text)] = text
        return digest_of(text)

    def sign(self, name: str) -> list[str]:
        made = [self.add(f"{kind} of {name}") for kind in ("signature", "attestation")]
        index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": d} for d in made]})
        self.tags[f"sha256-{self.digest(name).removeprefix('sha256:')}"] = self.add(index)
        return made

    def save(self) -> None:
        self.state.write_text(json.dumps({"repositories": {self.repository: {
            "manifests": self.manifests, "tags": self.tags}}}))

    def registry(self) -> dict:
        return json.loads(self.state.read_text())["repositories"][self.repository]

    def run(self, kind: str, dry_run: bool = False):
        temp = self.root / "runner"
        for tool in ("skopeo", "gh"):
            fake_tool(temp, tool,
                      f'exec "{sys.executable}" -S -E "{fake_registry.__file__}" "{self.state}" {tool} "$@"\n')
        env = {"REPOSITORIES": f"{self.repository}\n{self.repository}-never-built", "LOCK": "shipform.lock.json",
               "KEEP_DAYS": "30", "KIND": kind, "DRY_RUN": "true" if dry_run else "false", "GH_TOKEN": "t"}
        return run_script(CLEANUP, self.work, env, temp)


# Each test runs the generated bash script with its tools (skopeo, gh) as processes: the slow rule.
pytestmark = pytest.mark.slow

KINDS = {"registry": "registry.example.com/acme/shop-api", "ghcr": "ghcr.io/acme/shop-api"}


@pytest.fixture(params=sorted(KINDS))
def setup(request, tmp_path) -> tuple[Setup, str]:
    return Setup(tmp_path, KINDS[request.param]), request.param


@pytest.fixture(scope="module", params=sorted(KINDS))
def cleaned(request, tmp_path_factory):
    """One scheduled run per kind of registry: (the setup, what the script printed)."""
    s = Setup(tmp_path_factory.mktemp(request.param), KINDS[request.param])
    ran = s.run(request.param)
    assert ran.code == 0, ran.stderr + ran.stdout
    return s, ran.stdout


def test_only_old_unreferenced_tags_go_with_their_referrers(cleaned):
    s, _ = cleaned
    left = s.registry()
    gone = {f"sha-{s.commits[n]}" for n in ("D", "E", "H", "H2")}
    assert set(left["tags"]) == set(s.tags) - gone - {f"sha256-{s.digest(n).removeprefix('sha256:')}" for n in "D"} \
        - {f"sha256-{s.digest('E').removeprefix('sha256:')}.sig"}
    deleted = set(s.manifests) - set(left["manifests"])
    assert deleted == {s.digest("D"), s.digest("E"), s.digest("H"), *s.referrers["D"], s.legacy,
                       s.tags[f"sha256-{s.digest('D').removeprefix('sha256:')}"]}
    assert set(s.referrers["A"]) <= set(left["manifests"])  # a kept image keeps its signatures
    deletes = [c for c in json.loads(s.state.read_text())["calls"] if "delete" in c or "DELETE" in c]
    assert len(deletes) == len(deleted)  # H's digest once, though two tags named it


def test_each_tag_gets_one_line_with_its_reason(cleaned):
    s, out = cleaned
    repo = s.repository

    def line(name: str) -> str:
        return next(x for x in out.splitlines() if x.startswith(f"{repo}:sha-{s.commits[name]} "))

    assert line("A").endswith("kept: the lock names its digest") and "kept: the lock" in line("G")
    assert "kept: committed 2 days ago, less than 30" in line("F")
    assert line("C").endswith("but a kept tag names the same digest")
    assert f"{repo}:1.0.0 kept: not a sha- tag (a version tag is never deleted)" in out
    assert f"{repo}:sha-{'0' * 40} kept: commit {'0' * 40} is not in this repository: its age is unknown" in out
    assert f"{repo}:sha-main kept: not sha-<commit>" in out
    assert line("D") == f"{repo}:sha-{s.commits['D']} deleted: no lock entry names its digest, committed 90 days ago"
    assert f"{repo}@{s.referrers['D'][0]} deleted: a signature or attestation of {s.digest('D')}" in out


def test_a_dry_run_deletes_nothing(setup):
    s, kind = setup
    ran = s.run(kind, dry_run=True)
    assert ran.code == 0, ran.stderr
    assert s.registry() == {"manifests": s.manifests, "tags": s.tags}
    assert f"{s.repository}:sha-{s.commits['D']} would be deleted: " in ran.stdout


def test_without_a_lock_nothing_is_deleted(setup):
    s, kind = setup
    (s.work / "shipform.lock.json").unlink()
    ran = s.run(kind)
    assert ran.code == 0 and "nothing is deleted" in ran.stdout
    assert s.registry() == {"manifests": s.manifests, "tags": s.tags}
