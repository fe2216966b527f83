"""The files of an output folder, by the tool that reads them, and what a tool reports about them."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, order=True)
class Finding:
    """One problem a tool reports: its check (rule id), the file relative to the tree, and the message; ``line``
    when the tool names one (not compared: the same check on the same file is the same finding)."""

    tool: str
    check: str
    path: str
    message: str = field(compare=False)
    line: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.tool} {self.check} {self.path}: {self.message}"


@dataclass
class Tree:
    """An output folder and its files by kind, classified the way the reference judge classifies them."""

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


_DOCKERFILE = re.compile(r"(Dockerfile|Containerfile)(\..+)?|.+\.[Dd]ockerfile")


def classify(name: str, root: Path) -> Tree:
    """Dockerfiles by name (``*.dockerignore`` left out), YAML under ``.github/workflows/`` as workflows,
    ``*compose*.y*ml`` (or YAML with a top-level ``services:``) as compose, YAML with top-level ``apiVersion:``
    and ``kind:`` as Kubernetes objects (kustomization.yaml included)."""
    tree = Tree(name, root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or {".git", "node_modules"} & set(rel.split("/")):
            continue
        base = path.name
        if base.endswith(".dockerignore"):
            continue
        if _DOCKERFILE.fullmatch(base):
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


def documents(path: Path) -> list[dict[str, Any]]:
    """The mappings of a YAML file (none when it does not parse)."""
    try:
        return [d for d in yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                if isinstance(d, dict)]
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []


@dataclass
class Result:
    """One tool's run over one tree: its findings, or why it did not run (``skipped``: nothing of its kind to
    read, or the tool is not installed, with the install hint)."""

    tool: str
    tree: str
    findings: list[Finding]
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    no_schema: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # kubernetes-validate only
    seconds: float = 0.0
    cached: bool = False
    missing: bool = False
    """Skipped because the tool is not installed (``skipped`` says how to install it)."""
