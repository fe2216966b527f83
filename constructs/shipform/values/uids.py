"""The UID (and GID) each service of an App runs as, when no ``run_as_user`` says otherwise: stable (derived from
the app's and the service's names, so the same in every synth, every Environment and every output) and distinct
inside the App (a service whose UID another took moves on to the next free one), so that a process that escapes
its container meets no other service's files or processes under its own UID."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

FIRST_UID = 20000
UID_COUNT = 40000
"""Derived UIDs lie in 20000-59999: above the users images and distributions create (0-999, 1000-19999 for
people and daemons, 10001 for the postgres engine in compose) and below 65536, the most a user namespace maps."""


def derived_uid(app: str, service: str) -> int:
    """The UID ``service`` of ``app`` starts from: SHA-256 of ``<app>/<service>`` over the range."""
    digest = hashlib.sha256(f"{app}/{service}".encode()).digest()
    return FIRST_UID + int.from_bytes(digest[:8], "big") % UID_COUNT


def assign_uids(app: str, services: Iterable[str], taken: Iterable[int] = ()) -> dict[str, int]:
    """A distinct UID per service, none of ``taken`` (the UIDs props set explicitly): services in name order, each
    its derived UID or, when that is taken, the next free one after it (wrapping within the range)."""
    used = set(taken)
    uids: dict[str, int] = {}
    for service in sorted(set(services)):
        uid = derived_uid(app, service)
        while uid in used:
            uid = FIRST_UID + (uid - FIRST_UID + 1) % UID_COUNT
        used.add(uid)
        uids[service] = uid
    return uids
