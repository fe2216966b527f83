"""The reasons an Environment gives for running images it cannot pin or verify: one line each, which the manifests
and the scanners' accepted risks carry."""

from __future__ import annotations

from shipform.errors import ShipformError
from shipform.values import checks


def unpinned_reason(path: str, reason: str | None, first: bool) -> str | None:
    """A reason a reader of the manifests (and checkov) can take: one line of some length, without ','."""
    if reason is None:
        return None
    if first:
        raise ShipformError(path, "unpinned_images", "is for Environments after the first: CI records the images "
                            "it builds into the first one itself", reason,
                            "drop it here; state it on the Environments that get images by promotion")
    if not checks.is_stated_reason(reason, commas=False):
        raise ShipformError(path, "unpinned_images", "must say why the Environment runs the app's images by tag, in "
                            "one line without ','", reason,
                            "write e.g. 'staging follows main on purpose and holds no customer data'")
    return reason


def unsigned_reason(path: str, reason: object, local: bool) -> str | None:
    """A reason the KSV-0125 statement can carry: one line of some length."""
    if reason is None:
        return None
    if local:
        raise ShipformError(path, "unsigned_images", "is for Environments that are not local: a local one has no "
                            "image policy (its images are built on a developer's machine, unsigned)", reason,
                            "drop it here")
    if not checks.is_stated_reason(reason):
        raise ShipformError(path, "unsigned_images", "must say why the Environment admits images without their "
                            "signature, in one line", reason, "write e.g. 'the cluster runs no policy-controller yet'")
    return reason
