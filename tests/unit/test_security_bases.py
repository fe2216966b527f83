"""The reference apps build from pinned bases: every image a committed generated Dockerfile pulls (each stage's FROM,
each COPY --from of an image) carries the digest its app's lock file has for it, none is pulled by tag alone, and
the lock has no base no Dockerfile pulls. Read from the committed files alone (dist/ and apps/*/shipform.lock.json),
never from shipform."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = sorted(p.parent.name for p in (REPO / "apps").glob("*/shipform.lock.json")
              if (REPO / "dist" / p.parent.name).is_dir())
_FROM = re.compile(r"^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE | re.MULTILINE)
_COPY_FROM = re.compile(r"^COPY\s+(?:--\S+\s+)*?--from=(\S+)", re.IGNORECASE | re.MULTILINE)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def pulled(dockerfile: str) -> list[str]:
    """The images a Dockerfile pulls: FROM and COPY --from references that are neither a stage nor scratch."""
    stages = {m.group(2) for m in _FROM.finditer(dockerfile) if m.group(2)}
    found = [m.group(1) for m in _FROM.finditer(dockerfile)] + [m.group(1) for m in _COPY_FROM.finditer(dockerfile)]
    return [image for image in found if image not in stages and image != "scratch" and not image.isdigit()]


@pytest.mark.parametrize("app", APPS)
def test_every_base_of_the_reference_apps_is_pulled_by_the_digest_its_lock_has(app):
    bases = json.loads((REPO / "apps" / app / "shipform.lock.json").read_text()).get("bases", {})
    assert bases and all(DIGEST.match(digest) for digest in bases.values())
    used = set()
    dockerfiles = sorted((REPO / "dist" / app / "docker").glob("*/Dockerfile"))
    assert dockerfiles
    for path in dockerfiles:
        for image in pulled(path.read_text()):
            name, at, digest = image.partition("@")
            assert at, f"{path.relative_to(REPO)} pulls {image} by tag alone"
            assert bases.get(name) == digest, f"{path.relative_to(REPO)}: {name} is pinned to {digest}, the lock has " \
                                              f"{bases.get(name)}"
            used.add(name)
    assert used == set(bases)  # nothing in the lock that no Dockerfile pulls
