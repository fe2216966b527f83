"""A wheel of the shipform under test, made without a build backend (none is installed here and the runner is
offline): a ``.pth`` file naming this worktree's ``constructs`` folder (what an editable install is), the
distribution's metadata with its dependencies from pyproject.toml, and the ``shipform`` console script. The
setup-python stand-in's environments install it from the runner's wheelhouse when the workflow installs the
project that depends on shipform, so the workflows run the code of this worktree."""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(folder: Path) -> Path:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    info = f"{name}-{version}.dist-info"
    metadata = "\n".join(["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                          f"Requires-Python: {project['requires-python']}",
                          *(f"Requires-Dist: {d}" for d in project["dependencies"])]) + "\n"
    files = {
        f"{name}_under_test.pth": f"{REPO / 'constructs'}\n",
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: shipform-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\nshipform = shipform.cli:main\n",
    }
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    record = [_record_line(path, text.encode()) for path, text in files.items()]
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return wheel
