"""Synth's side of the lock file: every image with a digest in its Environment's entries is deployed as
``name:tag@sha256:...``; the rest are noted, and an image the app builds may run by tag alone only in the
Environment CI records into (the first) or where the Environment states why.

Environments after the first get the app's images only by promotion. Until a promotion copies the digest of a new
version (the app's tag changed), such an Environment keeps running the digest it has for the same image under its
previous tag: promotion, not a merge, changes what runs there. An image it has no digest for under any tag (a new
service, a new app) is refused, naming the Environment, the image and the fix, unless the Environment states why
(``Environment(..., unpinned_images='<why>')``): then each workload that runs it states that reason as checkov's
accepted risk CKV_K8S_43 (an image without a digest) in its annotations, where readers of the manifests and the
scanner both see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from shipform import spec
from shipform.delivery.lock import built_images, images
from shipform.errors import ShipformError

UNPINNED_CHECK = "CKV_K8S_43"
"""checkov's "Image should use digest": the accepted risk an Environment's ``unpinned_images`` states."""


def pinned(image: str, references: Mapping[str, str]) -> str:
    """The reference ``image`` is deployed as: ``name:tag@digest`` from ``references``; an image that has a digest
    already, or none in the lock, stays."""
    return image if "@" in image else references.get(image, image)


def _pin_run(run: spec.Run, references: Mapping[str, str]) -> spec.Run:
    if isinstance(run, spec.Scheduled):
        job = _pin_run(run.job, references)
        assert isinstance(job, spec.ToCompletion)
        return replace(run, job=job)
    if isinstance(run, spec.ToCompletion):
        return replace(run, **{step: replace(c, image=pinned(c.image, references))
                               for step in ("before", "after") if (c := getattr(run, step)) is not None})
    return run


def _pin_facets(facets: tuple[spec.Facet, ...], references: Mapping[str, str]) -> tuple[spec.Facet, ...]:
    """A routed canary's running version is pinned like the workload's image."""
    return tuple(replace(f, stable_image=pinned(f.stable_image, references)) if isinstance(f, spec.CanarySplit)
                 else f for f in facets)


def references(env: spec.Environment, digests: Mapping[str, str], promoted: bool) -> dict[str, str]:
    """{image: the reference it is deployed as} for the Environment's lock entries. In an Environment that gets
    built images by ``promoted``, one the lock has no entry for keeps the digest it has for the same image name
    under one other tag (its previous version)."""
    found = {image: f"{image}@{digest}" for image, digest in digests.items()}
    if promoted:
        for image in sorted(built_images(env) - set(digests)):
            name = image.rsplit(":", 1)[0]
            previous = [key for key in digests if key.rsplit(":", 1)[0] == name]
            if len(previous) == 1:  # several: which one runs is the promotion's to say
                found[image] = f"{previous[0]}@{digests[previous[0]]}"
    return found


def pin(app: spec.App, lock: Mapping[str, Mapping[str, str]]) -> spec.App:
    """The app with every image that has an entry in its Environment's part of the lock as ``name:tag@digest``
    (upload steps too), and in Environments after the first the app's images of a new tag at their previous
    tag's digest. Images built from source keep ``built``, so compose still builds them locally."""
    first = app.record_environment
    environments = []
    for env in app.environments:
        digests = lock.get(env.name) or {}
        if digests:
            found = references(env, digests, promoted=env is not first)
            env = replace(env, workloads=tuple(
                replace(w, image=pinned(w.image, found), run=_pin_run(w.run, found),
                        facets=_pin_facets(w.facets, found)) for w in env.workloads))
        environments.append(env)
    return replace(app, environments=tuple(environments))


def unpinned_errors(app: spec.App, lock_file: str, app_file: str) -> list[ShipformError]:
    """One error per (Environment after the first, image the app builds) the pinned ``app`` runs there by tag alone,
    unless the Environment states why (``unpinned_images``)."""
    errors = []
    for source, env in app.promotions:
        if env.unpinned_images is not None:
            continue
        first = app.record_environment
        assert first is not None
        for image in sorted(built_images(env)):
            errors.append(ShipformError(
                f"{app.name}/{env.name}", image, f"is an image the app builds, and {lock_file} has no digest for it "
                f"in {env.name}, which would run whatever was pushed to that tag last", None,
                f"promote it from {source.name} once CI has built it and {source.name} has its digest (the promotion "
                f"workflow, or `shipform promote {app_file} --from {source.name} --to {env.name}`), running it in "
                f"{first.name} alone until then; or state why {env.name} runs it by tag: "
                f"Environment(app, '{env.name}', unpinned_images='<why>')"))
    return errors


def accept_unpinned(app: spec.App) -> spec.App:
    """The pinned app with the stated reason on each workload that runs an image the app builds by tag alone in an
    Environment with ``unpinned_images``: checkov's CKV_K8S_43, unless the workload accepts that check itself."""
    environments = []
    for env in app.environments:
        reason = env.unpinned_images
        if reason is not None and app.record_environment is not env:
            risk = spec.AcceptedRisk(UNPINNED_CHECK, f"runs the image the app builds by tag without a digest: {reason}")
            env = replace(env, workloads=tuple(
                replace(w, accepted_risks=(*w.accepted_risks, risk))
                if w.built is not None and "@" not in w.image
                and all(r.check != UNPINNED_CHECK for r in w.accepted_risks) else w
                for w in env.workloads))
        environments.append(env)
    return replace(app, environments=tuple(environments))


def notes(app: spec.App) -> list[str]:
    """One line per Environment of a pinned app whose images are deployed by tag alone."""
    lines = []
    for env in app.environments:
        count = sum("@" not in image for image in images(env))
        if count:
            lines.append(f"{app.name}/{env.name}: {count} image{'s have' if count > 1 else ' has'} no digest "
                         "(run `shipform lock`, or let CI record built images)")
    return lines


def promotion_notes(plain: spec.App, pinned_app: spec.App) -> list[str]:
    """One line per Environment that runs some of the app's images at their previous tag's digest (``plain`` is the
    app before :func:`pin`, ``pinned_app`` after)."""
    lines = []
    for (source, before), after in zip(plain.promotions, pinned_app.environments[1:], strict=True):
        tags = {w.path: w.image for w in before.workloads}
        held = sorted({tags[w.path] for w in after.workloads if w.built is not None and "@" in w.image
                       and "@" not in tags[w.path] and not w.image.startswith(tags[w.path] + "@")})
        if held:
            lines.append(f"{plain.name}/{after.name}: {len(held)} image{'s' if len(held) > 1 else ''} the app builds "
                         f"still run{'' if len(held) > 1 else 's'} the digest promoted for the previous tag "
                         f"(promote {source.name} to {after.name} to run {', '.join(held)})")
    return lines
