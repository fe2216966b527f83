"""The lock file's ``bases`` section: the digest of every base image the app's generated Dockerfiles pull, app-wide
(a Dockerfile is the same in every Environment).

    "bases": {
      "golang:1.23.4-bookworm": "sha256:<64 hex>",
      "python:3.12.8-slim-bookworm": "sha256:<64 hex>"
    }

Keys are the references as the Dockerfiles name them (through ``App(base_registry=)``'s mirror when there is one):
every stage's ``FROM`` and every image ``COPY --from`` copies from (:meth:`shipform.spec.ImageBuild.bases`), not
``scratch``; the distroless runtime as ``gcr.io/distroless/nodejs<major>-debian12:nonroot``. ``shipform lock`` writes
them; synth renders ``FROM name:tag@sha256:...`` for each base with an entry and notes the rest. A base the Build
pins itself (``base_digest=``, ``runtime_digest=``) keeps its own digest and has no entry: the explicit pin wins, as
an image the app names with a digest does. The team's own Dockerfile (``Build.dockerfile``) is never rewritten.
The section is optional: lock files written before it existed read as they did."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks

Bases = dict[str, str]
"""{base image reference 'name:tag' as the Dockerfiles name it: 'sha256:<64 hex>'}"""

Complaint = Callable[[str, str, object], None]
"""Reports one problem: (prop, problem, value)."""


def parse_bases(value: object, bad: Complaint, json_type: Callable[[object], str]) -> Bases:
    """The ``bases`` section of a lock file's JSON; each problem goes to ``bad`` and leaves its entry out."""
    if not isinstance(value, dict):
        bad("bases", f"must map each base image 'name:tag' to its digest, not be a JSON {json_type(value)}", None)
        return {}
    bases: Bases = {}
    for image, digest in value.items():
        if not checks.is_tagged_image(image):
            bad("bases", "has a key that is not an image reference 'name:tag' (without a digest)", image)
        elif not isinstance(digest, str) or not checks.matches(checks.DIGEST, digest):
            bad(f"bases.{image}", "must be 'sha256:' followed by 64 lowercase hex digits", digest)
        else:
            bases[image] = digest
    return bases


def dump_bases(bases: Mapping[str, str]) -> dict[str, str]:
    return {image: bases[image] for image in sorted(bases)}


def _builds(app: spec.App) -> list[spec.ImageBuild]:
    """The builds whose Dockerfile shipform generates (not the team's own)."""
    return [w.build for env in app.environments for w in env.workloads
            if w.build is not None and w.build.preset != "dockerfile"]


def base_images(app: spec.App) -> set[str]:
    """The base images the app's generated Dockerfiles pull by tag alone: what `shipform lock` resolves."""
    return {image for build in _builds(app) for image in build.bases() if "@" not in image}


def pin_bases(app: spec.App, bases: Mapping[str, str]) -> spec.App:
    """The app with each base that has an entry in ``bases`` as ``name:tag@digest`` in its Dockerfile's build (a
    base with a digest of its own keeps it)."""
    if not bases:
        return app

    def pinned(image: str) -> str:
        return f"{image}@{bases[image]}" if image and "@" not in image and image in bases else image

    def build_of(build: spec.ImageBuild) -> spec.ImageBuild:
        return replace(build, builder_image=pinned(build.builder_image), runtime_image=pinned(build.runtime_image),
                       uv_image=pinned(build.uv_image))

    return replace(app, environments=tuple(
        replace(env, workloads=tuple(replace(w, build=build_of(w.build)) if w.build is not None else w
                                     for w in env.workloads))
        for env in app.environments))


def notes(app: spec.App) -> list[str]:
    """One line when the pinned ``app``'s generated Dockerfiles pull base images by tag alone."""
    unpinned = sorted(base_images(app))
    if not unpinned:
        return []
    many = len(unpinned) > 1
    return [f"{app.name}: {len(unpinned)} base image{'s have' if many else ' has'} no digest in the Dockerfiles "
            f"({', '.join(unpinned)}; run `shipform lock`)"]


def used_bases(specs: list[spec.App], digests: Mapping[str, str]) -> Bases:
    """The ``bases`` section for ``specs`` (the apps sharing one lock file): the digest of every base their
    Dockerfiles pull by tag, and nothing else (an entry no Dockerfile uses any more goes)."""
    return {image: digests[image] for app in specs for image in base_images(app)}


def base_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """What differs in the ``bases`` section: '+ base image digest', '~ base image old -> new', '- base image
    digest'."""
    return entry_changes("base", old, new)


def entry_changes(label: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """What differs between two {image: digest} maps, one line per image, after ``label`` (an Environment's name,
    'base'): '+ label image digest', '~ label image old -> new', '- label image digest'."""
    lines = []
    for image in sorted(set(old) | set(new)):
        if image not in old:
            lines.append(f"+ {label} {image} {new[image]}")
        elif image not in new:
            lines.append(f"- {label} {image} {old[image]}")
        elif old[image] != new[image]:
            lines.append(f"~ {label} {image} {old[image]} -> {new[image]}")
    return lines


def floating_errors(app: spec.App, lock_file: str) -> list[ShipformError]:
    """One error per workload whose distroless runtime the pinned ``app`` would pull by tag alone: distroless
    publishes no version tags, so its ``:nonroot`` moves with every release (a tag pins nothing, unlike
    ``python:3.12.8-slim-bookworm``), and a Dockerfile names it only with a digest."""
    errors: dict[str, ShipformError] = {}
    for env in app.environments:
        for w in env.workloads:
            build = w.build
            if build is None or build.runtime != "distroless" or "@" in build.runtime_image:
                continue
            errors.setdefault(w.name, ShipformError(
                f"{app.name}/{env.name}/{w.name}", "build.runtime_digest",
                f"is not given and {lock_file} has no digest for the distroless runtime: distroless images have no "
                "version tags, so the tag alone would build on whatever was pushed to it last",
                build.runtime_image, "run `shipform lock` (it writes the image's digest in the lock file's bases), "
                "or pass runtime_digest='sha256:<64 hex>'"))
    return list(errors.values())
