"""Which workflows GitHub starts for an event, which act does not decide (``act push`` runs whatever it is given):
the ``on:`` filters (branches, tags, paths and their -ignore forms, with GitHub's glob syntax and ``!``
negations in order), the rule that paths are not evaluated for tag pushes, the skip instructions in a commit
message, and that events caused by the workflow's own GITHUB_TOKEN start no workflow (except workflow_dispatch
and repository_dispatch). See docs.github.com, "Events that trigger workflows" and "Workflow syntax: on".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

SKIP_MARKERS = ("[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]")


@dataclass(frozen=True)
class Event:
    """An event as the router sees it: ``name`` ('push', 'pull_request', 'workflow_dispatch'), ``ref`` (pushed
    ref; for pull_request the base branch's), the files changed (None: unknown, so paths filters pass), the
    head commit's message, and which token caused it ('github-token' events start nothing)."""

    name: str
    ref: str
    changed: tuple[str, ...] | None = None
    message: str = ""
    actor: str = "developer"
    action: str = "opened"  # pull_request activity type


@functools.cache
def _pattern(glob: str) -> re.Pattern[str]:
    """GitHub's filter pattern: ``*`` any characters but '/', ``**`` any characters, ``?`` and ``+`` repeat the
    character before them (zero or one, one or more), ``[...]`` a class; everything else literal."""
    out, i = [], 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")  # '**/README.md' matches README.md at the root too
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char in "?+":
            out.append(char)
        elif char == "[":
            end = glob.index("]", i)
            out.append(glob[i:end + 1])
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


def matches(patterns: list[str], name: str) -> bool:
    """Whether ``name`` passes the ordered ``patterns`` (a later ``!pattern`` excludes what earlier ones took)."""
    found = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _pattern(pattern.removeprefix("!")).fullmatch(name):
            found = not negated
    return found


def _filter(config: dict[str, Any], key: str, name: str) -> bool:
    if key in config:
        return matches([str(p) for p in config[key]], name)
    if f"{key}-ignore" in config:
        return not any(_pattern(str(p)).fullmatch(name) for p in config[f"{key}-ignore"])
    return True


def _paths(config: dict[str, Any], changed: tuple[str, ...] | None) -> bool:
    if changed is None or not ("paths" in config or "paths-ignore" in config):
        return True
    return any(_filter(config, "paths", path) for path in changed)


def triggers(on: Any) -> dict[str, dict[str, Any]]:
    """The ``on:`` value as {event: config}; PyYAML reads the key ``on`` as True when it is not quoted."""
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {str(e): {} for e in on}
    return {str(k): (v or {}) for k, v in (on or {}).items()}


def starts(workflow: dict[str, Any], event: Event) -> bool:
    """Whether GitHub starts ``workflow`` (its parsed YAML) for ``event``."""
    config = triggers(workflow.get("on", workflow.get(True)))
    if event.name not in config:
        return False
    if event.actor == "github-token" and event.name not in ("workflow_dispatch", "repository_dispatch"):
        return False
    if event.name in ("push", "pull_request") and any(m in event.message for m in SKIP_MARKERS):
        return False
    spec = config[event.name]
    if event.name == "push":
        return _push(spec, event)
    if event.name in ("pull_request", "pull_request_target"):
        types = spec.get("types") or ["opened", "synchronize", "reopened"]
        branch = event.ref.removeprefix("refs/heads/")
        return event.action in types and _filter(spec, "branches", branch) and _paths(spec, event.changed)
    return True


def _push(spec: dict[str, Any], event: Event) -> bool:
    has_branches = "branches" in spec or "branches-ignore" in spec
    has_tags = "tags" in spec or "tags-ignore" in spec
    if event.ref.startswith("refs/tags/"):
        if has_branches and not has_tags:
            return False
        return _filter(spec, "tags", event.ref.removeprefix("refs/tags/"))  # paths are not evaluated for tags
    if has_tags and not has_branches:
        return False
    return _filter(spec, "branches", event.ref.removeprefix("refs/heads/")) and _paths(spec, event.changed)
