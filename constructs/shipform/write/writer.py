"""Writing an app's output folder safely.

A synth takes a lock next to the app folder (``.<app>.lock``), first removes what an interrupted synth
left behind (a stage ``.<app>.new-*``, the previous output ``.<app>.old``), then stages the new output
next to the old one: files shipform does not own are hard-linked into the stage untouched, and the stage
replaces the folder by rename. A failure before the swap leaves the old output as it was; a crash between
the two renames is repaired by the next synth.

shipform owns the files its manifest lists and, should the manifest be lost or damaged, every file that
starts with its marker line. It never follows a symlink when writing or deleting, never writes over a
file it does not own, and turns every OS error into one :class:`OutputError` line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from shipform.write.output_error import OutputError, os_error

MANIFEST = ".shipform-manifest.json"
LOCK_WAIT_SECONDS = 5.0
"""How long a synth waits for another one writing the same app folder before it gives up."""
_LOCK_POLL_SECONDS = 0.05
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

Entries = dict[str, os.stat_result]
"""Everything under a folder by relative POSIX path, as lstat sees it (symlinks are never followed)."""


def backup_path(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.old")


def lock_path(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.lock")


def _stage_name(folder: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(folder.name)}\.new-[a-z0-9_]+")


def _is_clean_relative(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (bool(parts) and not name.startswith("/") and "\0" not in name and PurePosixPath(name).as_posix() == name
            and not any(p in (".", "..") for p in parts))


def _read_bytes(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (the first ``limit`` only, if given), never through a symlink."""
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit)


def read_manifest(folder: Path, manifest: str = MANIFEST) -> list[str]:
    """The files the manifest lists; [] when it is missing, damaged, a symlink or not a file."""
    try:
        data = json.loads(_read_bytes(folder / manifest))
    except (OSError, ValueError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return []
    return [f for f in files if isinstance(f, str) and _is_clean_relative(f) and f != manifest]


def manifest_text(files: dict[str, str]) -> str:
    body = {"generator": "shipform", "note": "Files shipform owns in this folder; others are left alone.",
            "files": sorted(files)}
    return json.dumps(body, indent=2) + "\n"


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a file" if stat.S_ISREG(mode) else "a special file"


def _existing_folder(folder: Path) -> bool:
    """True if the app folder exists; refuses a symlink or a file in its place."""
    st = _lstat(folder)
    if st is None:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(f"{folder} is a symlink; shipform writes only into a real folder and never through a "
                          f"symlink. Fix: remove the symlink (its target is left alone) or pass --outdir with the "
                          f"real location")
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{folder} is {_kind(st.st_mode)}, where shipform writes the app's output folder. "
                          f"Fix: move it away, or pass another --outdir")
    return True


def _scan(folder: Path) -> Entries:
    found: Entries = {}

    def walk(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as listing:
            children = sorted(listing, key=lambda e: e.name)
        for child in children:
            rel = prefix + child.name
            found[rel] = child.stat(follow_symlinks=False)
            if stat.S_ISDIR(found[rel].st_mode):
                walk(directory / child.name, rel + "/")

    walk(folder, "")
    return found


def _marked(path: Path, marker: bytes) -> bool:
    try:
        return _read_bytes(path, len(marker)) == marker
    except OSError:
        return False  # unreadable: not shipform's, so it is left alone


def _owned(folder: Path, entries: Entries, marker: str | None, manifest: str) -> set[str]:
    """The manifest's files, and every regular file that starts with shipform's marker line."""
    owned = set(read_manifest(folder, manifest))
    if marker:  # (the manifest never lists itself, and is never marked)
        prefix = marker.encode("utf-8")
        owned.update(rel for rel, st in entries.items()
                     if stat.S_ISREG(st.st_mode) and rel not in owned and rel != manifest
                     and _marked(folder / rel, prefix))
    return owned


def _same_content(path: Path, st: os.stat_result, text: str) -> bool:
    """Only a regular file can match; an unreadable one, a folder or a symlink counts as changed."""
    data = text.encode("utf-8")
    if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
        return False
    try:
        return _read_bytes(path) == data
    except OSError:
        return False


def _changes(folder: Path, files: dict[str, str], entries: Entries, owned: set[str], manifest: str) -> list[str]:
    changes: list[str] = []
    for rel, text in files.items():
        st = entries.get(rel)
        if st is None:
            changes.append(f"+ {rel}")
        elif not _same_content(folder / rel, st, text):
            changes.append(f"~ {rel}")
    changes.extend(f"- {rel}" for rel in sorted(owned - set(files))
                   if rel in entries and not stat.S_ISDIR(entries[rel].st_mode))
    listed = entries.get(manifest)
    if listed is None or not _same_content(folder / manifest, listed, manifest_text(files)):
        changes.append(f"~ {manifest}")
    return changes


def _look(folder: Path, files: dict[str, str], marker: str | None,
          manifest: str) -> tuple[Entries, set[str], list[str]]:
    entries = _scan(folder) if _existing_folder(folder) else {}
    owned = _owned(folder, entries, marker, manifest)
    return entries, owned, _changes(folder, files, entries, owned, manifest)


def check_output(folder: Path, files: dict[str, str], marker: str | None = None,
                 manifest: str = MANIFEST) -> list[str]:
    """Paths whose content on disk differs from a fresh render: '+ new', '- stale', '~ changed'.

    ``marker`` is the start of shipform's first line: files that start with it are shipform's even when
    the manifest does not list them. Leftovers of an interrupted synth beside the folder are ignored (the
    next synth removes them); a file that is not valid UTF-8, a folder or a symlink where shipform writes a
    file is '~ changed'."""
    try:
        return _look(folder, files, marker, manifest)[2]
    except OSError as err:
        raise os_error(err, "read", err.filename or folder) from err


def write_output(folder: Path, files: dict[str, str], marker: str | None = None,
                 manifest: str = MANIFEST) -> list[str]:
    """Write the app's output folder unless it is up to date; return what differed (as check_output).

    Takes ``.<app>.lock`` beside the folder (waiting up to LOCK_WAIT_SECONDS for another synth), removes
    what an interrupted synth left, and refuses, with one OutputError line, to write over a file shipform
    does not own or through a symlink. Every OS error becomes an OutputError; the old output then stays."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise os_error(err, "create the output folder", err.filename or folder.parent) from err
    with output_lock(folder):
        try:
            _existing_folder(folder)  # a symlink or a file there is refused before anything is touched
            _remove_leftovers(folder)
            entries, owned, changes = _look(folder, files, marker, manifest)
            existed = _existing_folder(folder)
        except OSError as err:
            raise os_error(err, "update", err.filename or folder, unchanged=True) from err
        if changes:
            _replace(folder, files, _carried_over(folder, files, entries, owned, manifest), existed, manifest)
    return changes


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """An exclusive flock on ``.<app>.lock`` beside the app folder, so no two synths (nor a synth and
    `secrets init-local`) write it at once; the file is removed again when done. The parent must exist."""
    path = lock_path(folder)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    try:
        while (fd := _try_lock(path)) is None:
            if time.monotonic() >= deadline:
                raise OutputError(f"another shipform synth is writing {folder}; try again")
            time.sleep(_LOCK_POLL_SECONDS)
    except OSError as err:
        raise os_error(err, "lock", err.filename or path, unchanged=True) from err
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _try_lock(path: Path) -> int | None:
    """The locked descriptor of the lock file, or None while another synth holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The synth before us removes the file when it is done: hold the lock of the file that is there now.
        current, held = _lstat(path), os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
            return fd
    except BlockingIOError:
        pass
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def _remove_leftovers(folder: Path) -> None:
    """Finish or undo what a killed synth left: its stages, and the previous output moved aside."""
    backup = backup_path(folder)
    st = _lstat(backup)
    if st is not None:
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{backup} is {_kind(st.st_mode)}, not a folder shipform left there (it keeps the "
                              f"previous output under that name while it swaps). Fix: move it away"
                              + (" (removing the symlink leaves its target alone)" if stat.S_ISLNK(st.st_mode) else ""))
        if _lstat(folder) is None:
            os.rename(backup, folder)  # killed between the two renames: the old output comes back
        else:
            shutil.rmtree(backup)
    pattern = _stage_name(folder)
    with os.scandir(folder.parent) as listing:
        stages = [Path(e.path) for e in listing if pattern.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
    for stage in sorted(stages):
        shutil.rmtree(stage)


def _carried_over(folder: Path, files: dict[str, str], entries: Entries, owned: set[str],
                  manifest: str) -> Entries:
    """The entries the new output keeps (the user's files and folders); refuses to write over any of them."""
    written = {*files, manifest}
    needed = {str(p) for rel in written for p in PurePosixPath(rel).parents if str(p) != "."}
    owned_files = {rel for rel in owned if rel in entries and not stat.S_ISDIR(entries[rel].st_mode)}

    def users_files_under(rel: str) -> list[str]:
        return [r for r, st in entries.items()
                if r.startswith(rel + "/") and not stat.S_ISDIR(st.st_mode) and r not in owned]

    in_the_way: list[str] = []
    replaced: set[str] = set()
    for rel in sorted(written | needed):
        st = entries.get(rel)
        if st is None:
            continue
        if stat.S_ISDIR(st.st_mode):
            if rel in written:  # a folder where shipform writes a file: replaced if it holds nothing of the user's
                if users_files_under(rel):
                    in_the_way.append(rel)
                replaced.add(rel)
        elif rel not in owned and rel != manifest:
            in_the_way.append(rel)
    if in_the_way:
        shown = ", ".join(str(folder / rel) for rel in in_the_way[:5])
        more = f" and {len(in_the_way) - 5} more" if len(in_the_way) > 5 else ""
        raise OutputError(f"cannot write over {shown}{more}: shipform did not make "
                          f"{'it' if len(in_the_way) == 1 else 'them'} (no manifest entry, no 'Generated by "
                          f"shipform' line) and now writes there. Fix: move "
                          f"{'it' if len(in_the_way) == 1 else 'them'} away, then run `shipform synth` again")
    return {rel: st for rel, st in entries.items()
            if rel not in owned_files and rel != manifest and rel not in replaced
            and not any(rel.startswith(r + "/") for r in replaced)}


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, _NEW_FILE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as err:
        err.filename = err.filename or str(path)  # a full disk fails the write, which names no file
        raise
    finally:
        os.close(fd)


def _replace(folder: Path, files: dict[str, str], keep: Entries, existed: bool, manifest: str) -> None:
    backup = backup_path(folder)
    stage: Path | None = None
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
        for rel, text in [*files.items(), (manifest, manifest_text(files))]:
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_file(target, text.encode("utf-8"))
        for rel, st in keep.items():  # sorted: a folder comes before what it holds
            target = stage / rel
            if stat.S_ISDIR(st.st_mode):
                target.mkdir(parents=True, exist_ok=True)
                os.chmod(target, stat.S_IMODE(st.st_mode))  # e.g. a private local secrets folder stays private
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(folder / rel, target, follow_symlinks=False)
        os.chmod(stage, 0o755)
        if existed:
            os.rename(folder, backup)
        try:
            os.rename(stage, folder)
        except OSError:
            if existed:
                with contextlib.suppress(OSError):
                    os.rename(backup, folder)
            raise
    except BaseException as err:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if not isinstance(err, OSError):
            raise
        name = str(err.filename or folder)
        if stage is not None:
            name = name.replace(str(stage), str(folder), 1)
        raise os_error(err, "write", name, unchanged=True) from err
    shutil.rmtree(backup, ignore_errors=True)
