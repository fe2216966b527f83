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


def find_root(start: Path) -> Path:
    """The nearest folder upwards holding .git; the start folder itself when there is none."""
    start = start.resolve()
    return next((p for p in (start, *start.parents) if (p / ".git").exists()), start)


def relative(path: Path, root: Path) -> str | None:
    path = path.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def describe(app: str, app_root: Path, app_file: Path, app_dir: Path) -> Repository:
    """The repository of the App named ``app``: a ShipformError when CI could not install shipform in it."""
    root = find_root(app_root)
    has_tests = (root / "tests").is_dir() or any(root.glob("test_*.py"))
    return Repository(root, relative(app_file, root) or app_file.name, relative(app_dir, root) or app_dir.name,
                      install_of(root, app), has_tests)
