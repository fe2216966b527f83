"""actions/setup-python's stand-in: a fresh virtual environment in the run's tool cache, put first on PATH,
holding no package of its own but seeing every package of the test session's environment except shipform
(a hard-linked copy made once per session, added with a .pth file), so that the workflow's own install step
(``pip install -e '.[dev]'``,
``pip install -r requirements.txt``, ...) really installs: the user's project and shipform, from the runner's
wheelhouse (a wheel of the shipform under test that points at its source folder, made by the runner), offline
(``PIP_NO_INDEX``; the build backend, hatchling, from the wheels scripts/setup.sh keeps).

The real action downloads the requested CPython; the stand-in has the session's interpreter only and fails
when another minor version is asked for. ``cache: pip`` restores nothing.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from act.tools.common import add_path, fail, folder, output, say, set_env, value


def requested() -> str:
    wanted = value("python-version")
    if not wanted and value("python-version-file"):
        wanted = Path(value("python-version-file")).read_text().strip().splitlines()[0]
    return wanted or platform.python_version()


def main() -> int:
    wanted = requested()
    have = platform.python_version()
    if not have.startswith(wanted.rstrip(".x").rstrip(".*")) and wanted not in ("3", "3.x"):
        fail(f"The version '{wanted}' with architecture 'x64' was not found for this runner: the stand-in has "
             f"only Python {have} (the test session's); ask for {'.'.join(have.split('.')[:2])}")
    base = Path(os.environ["STANDIN_BASE_PYTHON"])
    venv = Path(os.environ["RUNNER_TOOL_CACHE"]) / "Python" / have / "x64"
    if not (venv / "bin" / "python").exists():
        subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
        site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        # addsitedir, not a plain path line: the copy's own .pth files must be processed too.
        (site / "_standin_session_packages.pth").write_text(
            f"import site; site.addsitedir({str(folder('SITE_PACKAGES'))!r})\n")
    add_path(venv / "bin")
    set_env("pythonLocation", str(venv))
    set_env("Python_ROOT_DIR", str(venv))
    set_env("PKG_CONFIG_PATH", str(venv / "lib" / "pkgconfig"))
    say(f"Python {have} (asked for {wanted}) at {venv}; packages from the session's environment, shipform from "
        f"the runner's wheelhouse")
    if value("cache"):
        say(f"cache: {value('cache')} is not restored by the stand-in")
    output("python-version", have)
    output("python-path", str(venv / "bin" / "python"))
    output("cache-hit", "false")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
