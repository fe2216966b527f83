"""What every output gets: the app's spec and a few facts of where it is written. Each output is one
function from these to ``{relative path: text}``; the pipeline runs the ones listed in OUTPUTS."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shipform import spec
from shipform.spec.manifest import Manifest


@dataclass(frozen=True)
class Install:
    """How CI installs the repository's Python dependencies, shipform among them, the way the repository declares
    them (``shipform.delivery.install`` decides)."""

    tool: Literal["pip", "uv", "poetry"]
    """'pip' (requirements*.txt, pyproject.toml), 'uv' (uv.lock) or 'poetry' (poetry.lock)."""
    commands: tuple[str, ...]
    """Shell commands run at the repository root once Python and the tool are set up (uv: astral-sh/setup-uv);
    afterwards ``python`` and ``shipform`` on PATH have what they installed."""
    tool_setup: tuple[str, ...] = ()
    """Commands that install the tool itself, run before actions/setup-python (poetry: its poetry cache asks
    poetry for the cache folder, so poetry must be there first)."""
    cache: Literal["pip", "poetry", "uv"] = "pip"
    """What caches the downloads: actions/setup-python's ``cache: pip`` or ``cache: poetry``, or for 'uv'
    astral-sh/setup-uv's ``enable-cache: true``."""
    cache_keys: tuple[str, ...] = ()
    """The files that key the cache, relative to the repository root: setup-python's ``cache-dependency-path``,
    setup-uv's ``cache-dependency-glob``."""


@dataclass(frozen=True)
class Context:
    marker: str
    """The first line of every file: says shipform generated it and how to change it."""
    app_dir: Path
    """The absolute folder the app's output goes to (compose points back at the sources from it)."""
    manifests: dict[str, list[Manifest]]
    """Per Environment name, its final Kubernetes objects: shipform's with the constructs' patches
    applied, plus foreign cdk8s objects of the same chart, ordered for its GitOps provider."""
    repository_path: str = "."
    """The app's output folder relative to the root of the git repository it is committed to."""
    repository_root: Path = Path(".")
    """The root of that repository (absolute)."""
    app_file: str = "app.py"
    """The file that creates the App, relative to the repository root (what CI runs `shipform synth` on)."""
    tests: bool = False
    """Whether the repository has tests for CI to run (pytest)."""
    branch: str = "main"
    lock_file: str = "shipform.lock.json"
    """The app's lock file (shipform.lock.json beside the app file), relative to the repository root."""
    install: Install = Install("pip", ("python -m pip install shipform",))
    """How CI installs the repository's dependencies, shipform among them; the workflows render its steps."""

    @property
    def outdir(self) -> str:
        """The --outdir that puts the app's output where it is, relative to the repository root."""
        parent = posixpath.dirname(self.repository_path)
        return parent or "."

    def from_repository(self, path: Path) -> str:
        """``path`` relative to the repository root, as workflows name it."""
        return posixpath.normpath(os.path.relpath(path, self.repository_root).replace(os.sep, "/"))


Output = Callable[[spec.App, Context], dict[str, str]]
