"""The lock file's ``built`` section: per image the app builds (its name, without a tag), the digest CI pushed
and the inputs it was built from, so that the next build of the same inputs pushes nothing and reuses it.

    "built": {
      "ghcr.io/acme/shop-api": {
        "digest": "sha256:<64 hex>",
        "inputs": "<tree of the build context>+<blob of the Dockerfile>[+<blob of Dockerfile.dockerignore>]",
        "revision": "<the last commit that changed those inputs>"
      }
    }

The inputs are what ``git rev-parse HEAD:<path>`` prints for the build context (a tree) and the Dockerfile
(a blob), joined by ``+``: equal inputs are equal files, whatever else the commit changed. The section is
optional: lock files written before it existed read as they did."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shipform.values import checks

_OBJECT = r"[0-9a-f]{40}(?:[0-9a-f]{24})?"  # a git object name: SHA-1, or SHA-256 in a sha256 repository
INPUTS = re.compile(rf"^{_OBJECT}(?:\+{_OBJECT}){{1,2}}$")
COMMIT = re.compile(rf"^{_OBJECT}$")
INPUTS_FORMAT = "'<tree>+<blob>' (git object names as `git rev-parse HEAD:<path>` prints them)"


@dataclass(frozen=True)
class Built:
    """One image CI built and pushed: its digest, the inputs it was built from, and the commit that last
    changed them (the image's org.opencontainers.image.revision label), when CI said."""

    digest: str
    inputs: str
    revision: str | None = None

    def to_json(self) -> dict[str, str]:
        data = {"digest": self.digest, "inputs": self.inputs}
        if self.revision is not None:
            data["revision"] = self.revision
        return data


BuiltImages = dict[str, Built]
"""{image name without tag: what was built for it}"""

Complaint = Callable[[str, str, object], None]
"""Reports one problem: (prop, problem, value)."""


def parse_built(value: object, bad: Complaint) -> BuiltImages:
    """The ``built`` section of a lock file's JSON; each problem goes to ``bad`` and leaves its entry out."""
    if not isinstance(value, dict):
        bad("built", "must map each built image's name to its digest and inputs, not be a JSON "
            f"{json_type(value)}", None)
        return {}
    built: BuiltImages = {}
    for name, entry in value.items():
        where = f"built.{name}"
        if not checks.is_image_name(name):
            bad("built", "has a key that is not an image name (without a tag or digest)", name)
        elif not isinstance(entry, dict):
            bad(where, f"must be an object with 'digest' and 'inputs', not a JSON {json_type(entry)}", None)
        else:
            parsed = _entry(entry, where, bad)
            if parsed is not None:
                built[name] = parsed
    return built


def _entry(entry: dict[str, Any], where: str, bad: Complaint) -> Built | None:
    unknown = sorted(set(entry) - {"digest", "inputs", "revision"})
    for key in unknown:
        bad(f"{where}.{key}", "is not a key of a built image (it has 'digest', 'inputs' and 'revision')", None)
    digest, inputs, revision = entry.get("digest"), entry.get("inputs"), entry.get("revision")
    ok = not unknown
    if not isinstance(digest, str) or not checks.matches(checks.DIGEST, digest):
        bad(f"{where}.digest", "must be 'sha256:' followed by 64 lowercase hex digits", digest)
        ok = False
    if not isinstance(inputs, str) or not checks.matches(INPUTS, inputs):
        bad(f"{where}.inputs", f"must be {INPUTS_FORMAT}", inputs)
        ok = False
    if revision is not None and (not isinstance(revision, str) or not checks.matches(COMMIT, revision)):
        bad(f"{where}.revision", "must be a full commit name (40 or 64 lowercase hex digits)", revision)
        ok = False
    if not ok:
        return None
    assert isinstance(digest, str) and isinstance(inputs, str)
    return Built(digest, inputs, revision if isinstance(revision, str) else None)


def dump_built(built: Mapping[str, Built]) -> dict[str, dict[str, str]]:
    return {name: built[name].to_json() for name in sorted(built)}


def json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def built_changes(old: Mapping[str, Built], new: Mapping[str, Built]) -> list[str]:
    """What differs in the ``built`` section: '+ built name digest', '~ built name ...', '- built name digest'."""
    lines = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before is None and after is not None:
            lines.append(f"+ built {name} {after.digest} from {after.inputs}")
        elif after is None and before is not None:
            lines.append(f"- built {name} {before.digest}")
        elif before != after and before is not None and after is not None:
            lines.append(f"~ built {name} {before.digest} -> {after.digest} from {after.inputs}")
    return lines
