"""Image identity: ``shipform.lock.json`` beside the app file maps each image, per Environment, to the digest it
is deployed as.

    {
      "environments": {
        "prod": {
          "ghcr.io/acme/shop-api:1.4.2": "sha256:<64 hex>",
          "postgres:16.6-bookworm": "sha256:<64 hex>"
        }
      },
      "note": "..."
    }

Keys are the image references as the app names them. An optional ``built`` section (see
:mod:`shipform.delivery.lock_built`) keeps, per image the app builds, the digest CI pushed and the inputs it
was built from. An optional ``bases`` section (see :mod:`shipform.delivery.lock_bases`) keeps, app-wide, the
digest of every base image the generated Dockerfiles pull. Synth pins every image with an entry in its Environment
(``name:tag@sha256:...``) and notes the ones without (:mod:`shipform.delivery.pins`). Entries come from
``shipform lock`` (third-party and base images, read from their registries), ``shipform lock record`` (the images CI
built and pushed) and ``shipform promote`` (built images' digests copied from one Environment to the next).
The file is written sorted, with 2-space indents and a trailing newline: the same content is the same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from shipform import spec
from shipform.delivery.lock_bases import (
    Bases,
    base_changes,
    base_images,
    dump_bases,
    entry_changes,
    parse_bases,
    used_bases,
)
from shipform.delivery.lock_built import Built, BuiltImages, built_changes, dump_built, json_type, parse_built
from shipform.delivery.registry import Client, RegistryError, parse_reference
from shipform.errors import ShipformError, raise_all
from shipform.model.stage import App
from shipform.model.validation import validate
from shipform.values import checks
from shipform.values.checks import is_tagged_image
from shipform.write import reading
from shipform.write.output_error import OutputError

LOCK_FILE = "shipform.lock.json"
NOTE = ("Image digests per Environment, and of the base images the Dockerfiles pull (bases); `shipform synth` "
        "deploys and builds from every image listed as name:tag@digest. "
        "Written by `shipform lock` (third-party and base images, from their registries), `shipform lock record` "
        "(images CI built and pushed) and `shipform promote` (built images, from one Environment to the next). "
        "Commit it; do not edit it by hand.")
FIX = ("correct the file, or delete it and run `shipform lock` (CI records the images it builds again on its "
       "next build)")

Lock = dict[str, dict[str, str]]
"""{Environment name: {image reference as the app names it: 'sha256:<64 hex>'}}"""

class Resolver(Protocol):
    """What reads digests from registries (:class:`shipform.delivery.registry.Client`)."""

    def digest(self, image: str) -> str: ...


class RegistryErrors(Exception):
    """Images whose digests could not be read; nothing was written. One line per image."""

    def __init__(self, errors: list[RegistryError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- the file ---------------------------------------------------------------------------------------------------


def lock_path(root: Path | str) -> Path:
    """The lock file of the App(s) whose root folder is ``root`` (the folder of the app file)."""
    return Path(root).resolve() / LOCK_FILE


def shown(path: Path) -> str:
    """``path`` as messages name it: relative to the working folder when it is inside it."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def read_lock(path: Path) -> Lock:
    """The lock file's entries; empty when there is no file. A damaged file is a ShipformError (one line per
    problem) naming the file, what is wrong and the fix."""
    return read_lock_file(path)[0]


def read_lock_file(path: Path) -> tuple[Lock, BuiltImages]:
    """The lock file's entries and its ``built`` section; both empty when there is no file."""
    return read_lock_document(path)[:2]


def read_lock_document(path: Path) -> tuple[Lock, BuiltImages, Bases]:
    """The lock file's entries, its ``built`` section and its ``bases``; all empty when there is no file."""
    where = shown(path)
    try:
        raw = reading.read_bytes(path)
    except FileNotFoundError:
        return {}, {}, {}
    except OSError as err:
        reason = "it is a folder" if err.errno == errno.EISDIR else err.strerror or str(err)
        raise ShipformError(where, "environments", f"cannot be read: {reason}", None, FIX) from None
    return parse_lock_document(raw, where)


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def parse_lock(raw: bytes | str, where: str) -> Lock:
    """The entries of a lock file's content; ``where`` names the file in errors."""
    return parse_lock_file(raw, where)[0]


def parse_lock_file(raw: bytes | str, where: str) -> tuple[Lock, BuiltImages]:
    """The entries and the ``built`` section of a lock file's content; ``where`` names the file in errors."""
    return parse_lock_document(raw, where)[:2]


def parse_lock_document(raw: bytes | str, where: str) -> tuple[Lock, BuiltImages, Bases]:
    """The entries, the ``built`` section and the ``bases`` of a lock file's content; ``where`` names the file in
    errors."""
    def whole(problem: str, fix: str = FIX) -> ShipformError:
        return ShipformError(where, "environments", f"cannot be read: {problem}", None, fix)

    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise whole(f"the file is not UTF-8 text (byte {err.start})") from None
    if re.search(r"^(<{7}|={7}|>{7})( |$)", raw, re.MULTILINE):
        raise whole("the file has git conflict markers",
                    "keep one digest per image and remove the markers (or delete the file and run `shipform lock`)")
    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        raise whole(f"the file is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except _Duplicate as dup:
        raise whole(f"the key {dup.args[0]!r} appears twice in one object") from None
    except RecursionError:
        raise whole("the file nests too deeply") from None
    if not isinstance(data, dict):
        raise whole(f"the file holds a JSON {_json_type(data)}, not an object")
    problems: list[ShipformError] = []

    def bad(prop: str, problem: str, value: object = None) -> None:
        problems.append(ShipformError(where, prop, problem, value, FIX))

    for key in data:
        if key not in ("note", "environments", "built", "bases"):
            bad(key, "is not a key of the lock file (it has 'bases', 'built', 'environments' and 'note')")
    if "note" in data and not isinstance(data["note"], str):
        bad("note", f"must be a string, not a JSON {_json_type(data['note'])}")
    environments = data.get("environments")
    lock: Lock = {}
    if environments is None:
        bad("environments", "is missing")
    elif not isinstance(environments, dict):
        bad("environments", f"must map each Environment to its images' digests, not be a JSON "
            f"{_json_type(environments)}")
    else:
        for env, entries in environments.items():
            if not isinstance(entries, dict):
                bad(f"environments.{env}", f"must map image references to digests, not be a JSON {_json_type(entries)}")
                continue
            for image, digest in entries.items():
                if not is_tagged_image(image):
                    bad(f"environments.{env}", "has a key that is not an image reference 'name:tag' (without a "
                        "digest)", image)
                elif not isinstance(digest, str) or not checks.matches(checks.DIGEST, digest):
                    bad(f"environments.{env}.{image}", "must be 'sha256:' followed by 64 lowercase hex digits", digest)
                else:
                    lock.setdefault(env, {})[image] = digest
    built = parse_built(data["built"], bad) if "built" in data else {}
    bases = parse_bases(data["bases"], bad, json_type) if "bases" in data else {}
    raise_all(problems)
    return lock, built, bases


_json_type = json_type


def dump_lock(lock: Mapping[str, Mapping[str, str]], built: Mapping[str, Built] | None = None,
              bases: Mapping[str, str] | None = None) -> str:
    """The file's text: keys sorted, 2-space indents, a trailing newline; Environments without entries left out,
    and the ``built`` and ``bases`` sections too when they have none."""
    environments = {env: dict(entries) for env, entries in lock.items() if entries}
    data: dict[str, Any] = {"note": NOTE, "environments": environments}
    if built:
        data["built"] = dump_built(built)
    if bases:
        data["bases"] = dump_bases(bases)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_lock(path: Path, lock: Mapping[str, Mapping[str, str]], built: Mapping[str, Built] | None = None,
               bases: Mapping[str, str] | None = None) -> None:
    """Replace the lock file atomically (a temporary file beside it, renamed over it); never through a symlink."""
    where = shown(path)
    if path.is_symlink():
        raise OutputError(f"cannot write {where}: it is a symlink and shipform never writes through one. "
                          "Fix: replace the symlink with a copy of the file it points to")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", newline="\n") as out:
            out.write(dump_lock(lock, built, bases))
        os.replace(temporary, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            temporary.unlink()
        fix = {errno.ENOSPC: "free some disk space and run it again",
               errno.EROFS: "the file system is read-only: run it in a writable checkout"}.get(
            err.errno or 0, f"make {shown(path.parent)} writable for you and run it again")
        raise OutputError(f"cannot write {where}: {err.strerror or err}. Fix: {fix}") from None


# --- the images an Environment runs (pinned by shipform.delivery.pins) -------------------------------------


def images(env: spec.Environment) -> dict[str, bool]:
    """{image: built from source} of every image the Environment runs (workloads and their upload steps)."""
    return env.images()


def third_party_images(env: spec.Environment) -> set[str]:
    """Images the Environment runs but does not build, without a digest of their own: what `shipform lock` reads."""
    return {image for image, built in images(env).items() if not built and "@" not in image}


def built_images(env: spec.Environment) -> set[str]:
    """Images the app builds from source that the Environment runs: what CI records and `promote` copies."""
    return {image for image, built in images(env).items() if built and "@" not in image}


# --- commands: lock, lock record, promote ---------------------------------------------------------------------


def changes(old: Mapping[str, Mapping[str, str]], new: Mapping[str, Mapping[str, str]]) -> list[str]:
    """What differs, one line per entry: '+ env image digest', '~ env image old -> new', '- env image digest'."""
    return [line for env in sorted(set(old) | set(new))
            for line in entry_changes(env, old.get(env) or {}, new.get(env) or {})]


def write_changes(path: Path, old: Lock, new: Lock, built: tuple[BuiltImages, BuiltImages] | None = None,
                  bases: tuple[Bases, Bases] | None = None) -> list[str]:
    """Write the lock file when it changed; the lines that say what changed. ``built`` and ``bases`` are (old,
    new) of those sections; without one the file keeps the section it has."""
    _, kept_built, kept_bases = read_lock_document(path) if built is None or bases is None else (None, {}, {})
    old_built, new_built = built if built is not None else (kept_built, kept_built)
    old_bases, new_bases = bases if bases is not None else (kept_bases, kept_bases)
    lines = changes(old, new) + built_changes(old_built, new_built) + base_changes(old_bases, new_bases)
    if not lines:
        return [f"{shown(path)}: up to date, nothing written"]
    write_lock(path, new, new_built, new_bases)
    return [f"{shown(path)}: {len(lines)} change(s) written", *(f"  {line}" for line in lines)]


def specs_by_lock(apps: Sequence[App]) -> dict[Path, list[spec.App]]:
    """The apps' specs, grouped by the lock file they share (one per app folder)."""
    groups: dict[Path, list[spec.App]] = {}
    for app in apps:
        validate(app)
        groups.setdefault(lock_path(app.root), []).append(app.to_spec())
    return groups


def environments_of(specs: Iterable[spec.App], name: str | None = None) -> list[spec.Environment]:
    return [env for app in specs for env in app.environments if name in (None, env.name)]


def require_environment(groups: Mapping[Path, list[spec.App]], option: str, name: str) -> None:
    specs = [app for group in groups.values() for app in group]
    if not environments_of(specs, name):
        known = dict.fromkeys(env.name for env in environments_of(specs))
        raise ShipformError(", ".join(a.name for a in specs), option, "is not an Environment of the app", name,
                            f"pass {option} with one of {', '.join(known)}")


def copy_lock(lock: Lock) -> Lock:
    return {env: dict(entries) for env, entries in lock.items()}


def lock_images(apps: Sequence[App], environment: str | None = None,
                client: Resolver | None = None) -> list[str]:
    """`shipform lock`: read the digest of every third-party image the apps run (in ``environment``, or in
    all) from its registry and write it for every Environment that runs it, and the digest of every base image
    the apps' Dockerfiles pull (app-wide, with or without ``environment``) into ``bases``. Entries of images an
    Environment no longer runs are removed, and bases no Dockerfile pulls, but not an entry of an image the app
    builds under another tag: until a promotion replaces it, an Environment after the first runs that digest
    (shipform.delivery.pins). Nothing is written when any image cannot be resolved."""
    groups = specs_by_lock(apps)
    if environment:
        require_environment(groups, "--env", environment)
    client = client or Client()
    wanted = sorted({image for specs in groups.values() for env in environments_of(specs, environment)
                     for image in third_party_images(env)}
                    | {image for specs in groups.values() for app in specs for image in base_images(app)})
    digests: dict[str, str] = {}
    errors: list[RegistryError] = []
    unreachable: dict[str, RegistryError] = {}  # a registry that did not answer is not asked again
    for image in wanted:
        registry = parse_reference(image).registry
        known = unreachable.get(registry)
        if known is not None:
            errors.append(RegistryError(registry, image, known.problem, known.fix, True))
            continue
        try:
            digests[image] = client.digest(image)
        except RegistryError as err:
            errors.append(err)
            if err.unreachable:
                unreachable[registry] = err
    if errors:
        raise RegistryErrors(errors)
    report: list[str] = []
    for path, specs in groups.items():
        old, _, old_bases = read_lock_document(path)
        new = copy_lock(old)
        for name in dict.fromkeys(env.name for env in environments_of(specs, environment)):
            envs = environments_of(specs, name)
            used = {image for env in envs for image in images(env)}
            built = {image.rsplit(":", 1)[0] for env in envs for image in built_images(env)}
            entries = {image: digest for image, digest in new.get(name, {}).items()
                       if image in used or image.rsplit(":", 1)[0] in built}
            entries.update((image, digests[image]) for env in envs for image in third_party_images(env))
            new[name] = entries
        report += write_changes(path, old, {env: entries for env, entries in new.items() if entries},
                                bases=(old_bases, used_bases(specs, digests)))
    return report


def promote_images(apps: Sequence[App], source: str, target: str) -> list[str]:
    """`shipform promote`: copy the digests of the images the apps build, as ``source`` has them, to ``target``.
    Exactly those entries change (an entry of the same image under another tag goes: the target ran it by that
    one until now); the target's third-party entries stay. Nothing is written when ``source``
    lacks a digest for any image ``target`` runs."""
    groups = specs_by_lock(apps)
    require_environment(groups, "--from", source)
    require_environment(groups, "--to", target)
    if source == target:
        raise ShipformError(next(iter(groups.values()))[0].name, "--to", "must differ from --from", target,
                            "promote to the next Environment, e.g. --from dev --to prod")
    problems: list[ShipformError] = []
    updates: dict[Path, tuple[Lock, Lock]] = {}
    for path, specs in groups.items():
        needed = sorted({image for env in environments_of(specs, target) for image in built_images(env)})
        if not needed:
            continue
        old = read_lock(path)
        verified = old.get(source) or {}
        missing = [image for image in needed if image not in verified]
        problems += [ShipformError(shown(path), f"environments.{source}", f"has no digest for {image}, which "
                                   f"{target} runs", None, f"let CI build it and record it in {source} "
                                   f"(`shipform lock record --env {source} {image}@sha256:<digest>`), verify it "
                                   "there, then promote") for image in missing]
        new = copy_lock(old)
        # The promoted tag replaces the entry the target ran the image by before (its previous version), which
        # synth deploys until then (shipform.delivery.pins): one entry per image name and Environment.
        names = {image.rsplit(":", 1)[0] for image in needed}
        new[target] = {image: digest for image, digest in new.get(target, {}).items()
                       if image in needed or image.rsplit(":", 1)[0] not in names}
        new[target].update((image, verified[image]) for image in needed if image in verified)
        updates[path] = (old, new)
    raise_all(problems)
    report: list[str] = []
    for path, (old, new) in updates.items():
        report += write_changes(path, old, new)
    return report or [f"{target} runs no image built from source: nothing to promote"]
