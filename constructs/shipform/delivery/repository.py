"""Facts about the git repository an app lives in, which CI workflows and GitOps objects need: its root, the
app file and output folder relative to it, how CI installs its Python dependencies, whether it has tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shipform.delivery.install import install_of
from shipform.render.output import Install


@dataclass(frozen=True)
class Repository:
    root: Path
    app_file: str
    output_path: str
    install: Install
    tests: bool


CDK8S_YAML = "cdk8s.yaml"
"""The file that marks a project's root (the cdk8s CLI's configuration: its app command and output folder)."""


def git_root(start: Path) -> Path | None:
    """The nearest folder upwards holding .git (a folder, or the file of a worktree); None outside git."""
    start = start.resolve()
    return next((p for p in (start, *start.parents) if (p / ".git").exists()), None)


def project_root(start: Path) -> Path:
    """The root of the project a folder (the app file's) is in, which the default output folder is relative to:
    the nearest folder upwards holding cdk8s.yaml (never above the git root), else the git root, else ``start``.
    The shell's working folder plays no part, so synth writes the same files from any folder."""
    start = start.resolve()
    top = git_root(start)
    folders = (start, *start.parents)
    if top is not None:
        folders = folders[:folders.index(top) + 1]
    found = next((p for p in folders if (p / CDK8S_YAML).exists() and not (p / CDK8S_YAML).is_dir()), None)
    return found or top or start


def find_root(start: Path) -> Path:
    """The root of the repository a folder is in: the git root; outside git, the project root (a project not yet in
    git is laid out as the repository it is about to become)."""
    return git_root(start) or project_root(start)


def relative(path: Path, root: Path) -> str | None:
    path = path.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def describe(app: str, app_root: Path, app_file: Path, app_dir: Path) -> Repository:
    """The repository of the App named ``app``: a ShipformError when CI could not install shipform in it."""
    root = find_root(app_root)
    has_tests = (root / "tests").is_dir() or any(root.glob("test_*.py"))
    return Repository(root, relative(app_file, root) or app_file.name, relative(app_dir, root) or app_dir.name,
                      install_of(root, app), has_tests)
