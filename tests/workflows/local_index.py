"""A package index on this machine, so that uv and poetry lock and install a user's project offline: the wheel of
shipform built from this repository, and every distribution shipform needs (its Requires-Dist followed under any
marker, extras left out: a lock is resolved for every platform) repacked as a wheel from the files pip installed
in the test's own environment, as its RECORD lists them. The wheels are real ones, with the installed files, the
installed metadata and a RECORD of their own hashes; tools install them as they would the ones from PyPI.

No pip cache lies on this machine to take PyPI's own wheels from, and tests never use the network. uv reads the
folder as find-links; poetry needs a URL, so :func:`serve` publishes the folder as a PEP 503 simple index (with
PEP 658 metadata, so that locking reads the metadata without downloading every wheel) on loopback.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
import shutil
import sys
import sysconfig
import threading
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement

LEFT_OUT = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}  # written by the installer, not the wheel


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(requirements: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions the requirements need, transitively; a requirement that only an extra asks for,
    or that nothing here installed (exceptiongroup for Pythons below 3.11), is left out."""
    found: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        if normalized(requirement.name) in found or "extra" in str(requirement.marker or ""):
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        found[normalized(requirement.name)] = dist
        todo += [Requirement(r) for r in dist.requires or []]
    return list(found.values())


def repack(dist: metadata.Distribution, folder: Path) -> Path:
    """The installed distribution as a wheel in ``folder``: its files under site-packages as they are, its
    scripts other than entry points (which installers write) under ``.data/scripts``, other files outside
    site-packages under ``.data/data``."""
    files = [f for f in dist.files or [] if "__pycache__" not in f.parts]
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    name, version = dist.metadata["Name"], dist.version
    data = f"{info.removesuffix('.dist-info')}.data"
    generated = {e.name for e in dist.entry_points if e.group in ("console_scripts", "gui_scripts")}
    scripts, prefix = Path(sysconfig.get_paths()["scripts"]).resolve(), Path(sys.prefix).resolve()
    members: dict[str, bytes] = {}
    for file in files:
        if file.parts[0] == info and file.parts[-1] in LEFT_OUT:
            continue
        source = Path(str(dist.locate_file(file))).resolve()
        if file.parts[0] != "..":
            members[PurePosixPath(*file.parts).as_posix()] = source.read_bytes()
        elif source.parent == scripts and source.name not in generated:
            members[f"{data}/scripts/{source.name}"] = re.sub(rb"\A#![^\n]*python[^\n]*", b"#!python",
                                                              source.read_bytes())
        elif source.parent != scripts:
            members[f"{data}/data/{source.relative_to(prefix).as_posix()}"] = source.read_bytes()
    wheel = folder / f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-{_tags(dist)}.whl"
    _write(wheel, members, f"{info}/RECORD")
    return wheel


def _tags(dist: metadata.Distribution) -> str:
    """The WHEEL file's tags in a file name's compressed form (``py2.py3-none-any``)."""
    tags = [line.split(":", 1)[1].strip().split("-") for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    parts = [sorted({t[i] for t in tags}) for i in range(3)]
    if len(tags) == len(list(itertools.product(*parts))):
        return "-".join(".".join(p) for p in parts)
    return "-".join(tags[0])


def _write(wheel: Path, members: dict[str, bytes], record: str) -> None:
    lines = [f"{path},sha256={_digest(body)},{len(body)}" for path, body in members.items()]
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
        for path, body in members.items():
            archive.writestr(path, body)
        archive.writestr(record, "\n".join([*lines, f"{record},,"]) + "\n")


def _digest(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def build(folder: Path, shipform_wheel: Path) -> Path:
    """The folder holding shipform's wheel and its dependencies' wheels, with a simple index over them."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(shipform_wheel, folder)
    with zipfile.ZipFile(shipform_wheel) as archive:
        text = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requirements = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]
    for dist in closure(requirements):
        repack(dist, folder)
    _index(folder)
    return folder


def _index(folder: Path) -> None:
    """``simple/<project>/index.html`` for each wheel, linking it with its hash and its metadata (PEP 503, 658)."""
    projects: dict[str, list[str]] = {}
    for wheel in sorted(folder.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
            core = archive.read(info)
        (folder / f"{wheel.name}.metadata").write_bytes(core)
        python = next((line.split(":", 1)[1].strip() for line in core.decode().splitlines()
                       if line.startswith("Requires-Python:")), "")
        digest, core_digest = hashlib.sha256(wheel.read_bytes()).hexdigest(), hashlib.sha256(core).hexdigest()
        projects.setdefault(normalized(wheel.name.split("-")[0]), []).append(
            f'<a href="../../{wheel.name}#sha256={digest}" data-requires-python="{html.escape(python)}" '
            f'data-dist-info-metadata="sha256={core_digest}" data-core-metadata="sha256={core_digest}">'
            f"{wheel.name}</a>")
    for project, links in projects.items():
        (folder / "simple" / project).mkdir(parents=True, exist_ok=True)
        (folder / "simple" / project / "index.html").write_text("<!DOCTYPE html>\n" + "<br>\n".join(links) + "\n")
    (folder / "simple" / "index.html").write_text("<!DOCTYPE html>\n" + "\n".join(
        f'<a href="{p}/">{p}</a>' for p in sorted(projects)) + "\n")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The folder over HTTP on loopback; yields the simple index's URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
