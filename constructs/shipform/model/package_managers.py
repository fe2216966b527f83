"""Which tool installs a build context's dependencies, from its lockfile: npm, pnpm, yarn (classic or berry) or
bun for Node; pip from requirements.txt, Pipfile.lock (pipenv) or pdm.lock, uv or poetry for Python. Every one
installs exactly what its lockfile says (frozen), and pnpm and yarn come through corepack at the version
package.json's ``packageManager`` pins."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.write import reading

NODE_LAYOUTS = (("package-lock.json", "package.json"), ("pnpm-lock.yaml", "package.json"),
                ("yarn.lock", "package.json"), ("bun.lock", "package.json"), ("bun.lockb", "package.json"))
PYTHON_LAYOUTS = (("uv.lock", "pyproject.toml"), ("poetry.lock", "pyproject.toml"), ("pdm.lock", "pyproject.toml"),
                  ("Pipfile.lock", "Pipfile"), ("requirements.txt",))


def node_runtime_files(context: Path) -> tuple[str, ...]:
    """What the Node runtime stage copies besides package.json and node_modules: package.json's ``files`` and
    ``main``, as npm would publish them, when every entry is a plain path inside the context; () (the whole
    context) when there is no ``files`` or an entry is a pattern."""
    try:
        manifest = json.loads(reading.read_text(context / "package.json"))
    except (ValueError, UnicodeDecodeError, OSError):
        return ()
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return ()
    entries = [*manifest["files"], *([manifest["main"]] if isinstance(manifest.get("main"), str) else [])]
    plain = []
    for entry in entries:
        clean = str(entry).removeprefix("./").rstrip("/")
        if not isinstance(entry, str) or not checks.matches(r"[A-Za-z0-9_@.-]+(/[A-Za-z0-9_@.-]+)*", clean) \
                or ".." in clean.split("/") or not (context / clean).exists():
            return ()
        if clean not in plain and clean not in ("package.json", "node_modules"):
            plain.append(clean)
    # A file inside a listed folder comes with the folder.
    return tuple(sorted(p for p in plain if not any(p.startswith(f"{other}/") for other in plain)))


def node_installer(path: str, context: Path, layout: str) -> str:
    """'npm', 'pnpm', 'yarn' (classic), 'yarn-berry' or 'bun'; a ShipformError when the lockfile's tool is not
    pinned by package.json, or yarn berry would keep the dependencies in Plug'n'Play archives."""
    if layout == "package-lock.json":
        return "npm"
    if layout.startswith("bun."):
        return "bun"
    tool = "pnpm" if layout == "pnpm-lock.yaml" else "yarn"
    try:
        manifest = json.loads(reading.read_text(context / "package.json"))
    except (ValueError, OSError) as err:
        what = f"cannot be read ({err.strerror})" if isinstance(err, OSError) else f"is not JSON ({err})"
        raise ShipformError(path, "build", f"package.json {what}", str(context / "package.json"),
                            "fix package.json") from None
    pinned = manifest.get("packageManager") if isinstance(manifest, dict) else None
    found = checks.exact(rf"{tool}@([0-9]+)\.[0-9]+\.[0-9]+(\+sha[0-9]+\.[0-9a-f]+)?", str(pinned or ""))
    if found is None:
        raise ShipformError(path, "build", f"{layout} needs package.json's packageManager to pin {tool}: corepack "
                            "installs exactly that version in the image", pinned,
                            f"run `corepack use {tool}@<version>` in the build context (it writes the field)")
    if tool == "pnpm" or int(found[1]) < 2:
        return tool
    if int(found[1]) < 4:
        raise ShipformError(path, "build", "needs yarn 4 or later among the berry releases (a production install "
                            "is `yarn workspaces focus --production`, built in since 4)", pinned,
                            "run `corepack use yarn@4` in the build context")
    rc = context / ".yarnrc.yml"
    settings = reading.read_text(rc, errors="replace") if rc.is_file() else ""
    linker = re.search(r"^nodeLinker:\s*[\"']?([\w-]+)", settings, re.M)
    if linker is None or linker[1] != "node-modules":
        raise ShipformError(path, "build", "uses yarn's Plug'n'Play, whose zip archives and loader the runtime image "
                            "would have to run node through", str(rc),
                            "set `nodeLinker: node-modules` in .yarnrc.yml")
    return "yarn-berry"
