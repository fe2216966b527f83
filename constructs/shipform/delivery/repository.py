"""Facts about the git repository an app lives in, which CI workflows and GitOps objects need: its root, the
app file and output folder relative to it, how it installs its Python dependencies, whether it has tests."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from shipform._version import __version__


@dataclass(frozen=True)
class Repository:
    root: Path
    app_file: str
    output_path: str
    setup: tuple[str, ...]
    tests: bool


def find_root(start: Path) -> Path:
    """The nearest folder upwards holding .git; the start folder itself when there is none."""
    start = start.resolve()
    return next((p for p in (start, *start.parents) if (p / ".git").exists()), start)


def relative(path: Path, root: Path) -> str | None:
    path = path.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def setup_commands(root: Path) -> tuple[str, ...]:
    """Install what the repository declares (shipform among it), the way it declares it."""
    pip = "python -m pip install"
    if (root / "uv.lock").is_file():
        return (f"{pip} uv", "uv export --frozen --no-hashes --all-extras -o /tmp/requirements.txt",
                f"{pip} -r /tmp/requirements.txt", f"{pip} --no-deps -e .")
    if (root / "poetry.lock").is_file():
        return (f"{pip} poetry poetry-plugin-export",
                "poetry export --all-extras --without-hashes -o /tmp/requirements.txt",
                f"{pip} -r /tmp/requirements.txt", f"{pip} --no-deps -e .")
    if (root / "requirements.txt").is_file():
        return (f"{pip} -r requirements.txt",)
    if (root / "pyproject.toml").is_file():
        extras = _dev_extra(root / "pyproject.toml")
        return (f"{pip} -e '.[{extras}]'" if extras else f"{pip} -e .",)
    return (f"{pip} shipform=={__version__}",)


def _dev_extra(pyproject: Path) -> str | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError):
        return None
    extras = data.get("project", {}).get("optional-dependencies", {})
    return "dev" if isinstance(extras, dict) and "dev" in extras else None


def describe(app_root: Path, app_file: Path, app_dir: Path) -> Repository:
    root = find_root(app_root)
    has_tests = (root / "tests").is_dir() or any(root.glob("test_*.py"))
    return Repository(root, relative(app_file, root) or app_file.name, relative(app_dir, root) or app_dir.name,
                      setup_commands(root), has_tests)
