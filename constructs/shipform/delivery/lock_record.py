"""`shipform lock record`: CI's digests of the images it built and pushed, written for the first Environment,
with the inputs each was built from (the lock file's ``built`` section) so that the next build of the same
inputs reuses the digest instead of building again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from shipform import spec
from shipform.delivery.lock import (
    built_images,
    copy_lock,
    environments_of,
    images,
    read_lock_file,
    require_environment,
    specs_by_lock,
    write_changes,
)
from shipform.delivery.lock_built import COMMIT, INPUTS, INPUTS_FORMAT, Built, BuiltImages
from shipform.errors import ShipformError, raise_all
from shipform.model.stage import App
from shipform.values import checks
from shipform.values.checks import is_tagged_image

EXAMPLE = "ghcr.io/acme/shop-api@sha256:<64 hex>"


def split_record(ref: str) -> tuple[str, str | None, str] | None:
    """(name, tag or None, digest) of ``name[:tag]@sha256:<64 hex>``; None when it is not one."""
    image, at, digest = ref.partition("@")
    if not at or not checks.matches(checks.DIGEST, digest):
        return None
    if is_tagged_image(image):
        name, tag = image.rsplit(":", 1)
        return name, tag, digest
    return (image, None, digest) if checks.is_image_name(image) else None


def pairs(values: Sequence[str], option: str, where: str) -> dict[str, str]:
    """``NAME=VALUE`` options as {NAME: VALUE}; a value without '=' is a ShipformError."""
    result: dict[str, str] = {}
    problems = []
    for value in values:
        name, equals, rest = value.partition("=")
        if not equals or not name:
            problems.append(ShipformError(where, option, "must be IMAGE=VALUE (the image's name, without a tag)",
                                          value, f"pass e.g. {option} ghcr.io/acme/shop-api=<value>"))
        else:
            result[name] = rest
    raise_all(problems)
    return result


def record_images(apps: Sequence[App], environment: str, refs: Sequence[str],
                  inputs: Mapping[str, str] | None = None, revisions: Mapping[str, str] | None = None,
                  skip_not_built: bool = False) -> list[str]:
    """CI's digests of the images it built and pushed, as ``name[:tag]@sha256:...``, written for
    ``environment``. Each must be an image the apps build and run there (by name alone, the app's tag is
    meant); with ``skip_not_built`` one that is not is left out with a note (CI records on the branch's
    newest commit, which may have removed it). ``inputs`` and ``revisions`` ({name: value}) go to the
    ``built`` section. Entries of images the Environment no longer runs, and built entries of images the app
    no longer builds, leave the file. Nothing is written when any argument is wrong."""
    groups = specs_by_lock(apps)
    require_environment(groups, "--env", environment)
    where = f"{next(iter(groups.values()))[0].name}/{environment}"
    built = {path: {image for env in environments_of(specs, environment) for image in built_images(env)}
             for path, specs in groups.items()}
    every = sorted({image for found in built.values() for image in found})
    problems: list[ShipformError] = []
    notes: list[str] = []
    recorded: dict[Path, dict[str, str]] = {}
    names: dict[Path, dict[str, str]] = {}
    given: set[str] = set()
    if not refs:
        problems.append(ShipformError(where, "IMAGE@DIGEST", "none given", None,
                                      f"pass the pushed images, e.g. {EXAMPLE}"))
    for ref in refs:
        parts = split_record(ref)
        if parts is None:
            problems.append(ShipformError(where, "IMAGE@DIGEST", "must be an image name (and tag) with a digest "
                                          "'@sha256:' and 64 lowercase hex digits", ref,
                                          f"pass what the registry reported for the push, e.g. {EXAMPLE}"))
            continue
        name, tag, digest = parts
        given.add(name)
        matches = [(path, image) for path, found in built.items() for image in sorted(found)
                   if image == f"{name}:{tag}" or (tag is None and image.rsplit(":", 1)[0] == name)]
        if not matches and skip_not_built:
            notes.append(f"{ref}: skipped, not an image the app builds in {environment}")
        elif not matches:
            problems.append(ShipformError(where, "IMAGE@DIGEST", f"is not an image the app builds in {environment}",
                                          ref, f"record one of {', '.join(every)}" if every
                                          else f"{environment} runs no image built from source"))
        for path, image in matches:
            previous = recorded.setdefault(path, {}).get(image)
            if previous is not None and previous != digest:
                problems.append(ShipformError(where, "IMAGE@DIGEST", f"gives {image} two digests", ref,
                                              "pass one digest per image"))
            recorded[path][image] = digest
            names.setdefault(path, {})[name] = digest
    problems += _pair_problems(where, given, inputs or {}, revisions or {})
    raise_all(problems)
    report = notes
    for path, entries in recorded.items():
        report += _write(path, groups[path], environment, entries, names[path], inputs or {}, revisions or {})
    return report


def _pair_problems(where: str, given: set[str], inputs: Mapping[str, str],
                   revisions: Mapping[str, str]) -> list[ShipformError]:
    problems = []
    for option, values in (("--inputs", inputs), ("--revision", revisions)):
        for name, value in values.items():
            if name not in given:
                problems.append(ShipformError(where, option, "names no image given as IMAGE@DIGEST", name,
                                              "name the image as in its IMAGE@DIGEST, without tag and digest"))
            elif option == "--inputs" and not checks.matches(INPUTS, value):
                problems.append(ShipformError(where, f"--inputs {name}", f"must be {INPUTS_FORMAT}", value,
                                              "pass the build context's tree and the Dockerfile's blob"))
            elif option == "--revision" and not checks.matches(COMMIT, value):
                problems.append(ShipformError(where, f"--revision {name}", "must be a full commit name (40 or 64 "
                                              "lowercase hex digits)", value, "pass `git log -1 --format=%H`"))
    return problems


def _write(path: Path, specs: list[spec.App], environment: str, entries: Mapping[str, str],
           names: Mapping[str, str], inputs: Mapping[str, str], revisions: Mapping[str, str]) -> list[str]:
    old, old_built = read_lock_file(path)
    new = copy_lock(old)
    runs = {image for env in environments_of(specs, environment) for image in images(env)}
    new[environment] = {image: digest for image, digest in {**new.get(environment, {}), **entries}.items()
                        if image in runs}
    return write_changes(path, old, {env: found for env, found in new.items() if found},
                         (old_built, _built(specs, old_built, names, inputs, revisions)))


def _built(specs: list[spec.App], old: BuiltImages, names: Mapping[str, str], inputs: Mapping[str, str],
           revisions: Mapping[str, str]) -> BuiltImages:
    """The ``built`` section after recording: images the apps no longer build leave it; an image recorded
    with its inputs gets them, unless the entry already says the same (it keeps its revision then)."""
    still = {image.rsplit(":", 1)[0] for env in environments_of(specs) for image in built_images(env)}
    new = {name: entry for name, entry in old.items() if name in still}
    for name, digest in names.items():
        if name not in inputs:
            continue
        entry = Built(digest, inputs[name], revisions.get(name))
        kept = new.get(name)
        if kept is None or (kept.digest, kept.inputs) != (entry.digest, entry.inputs) or \
                (entry.revision is not None and kept.revision != entry.revision):
            new[name] = entry
    return new
