"""The README's test command runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``). Two rules keep
that equal to a serial run:

- Tests that drive one of this machine's real things run on one worker, in collection order, as one xdist group
  per thing: act (its loopback registry and runner), the container rig (its storage, compose project and port),
  the database servers. Each group's session fixtures are then built once, as in a serial run; the rig's
  stand-in images are built under a file lock both the act and the rig groups take. The validators are one
  group too: their gate starts every tool run once, in the worker that runs them. Any other test file is a group
  of its own, so module fixtures are built once.
- A worker's terminal summary lines (the validators' and the containers' reports) travel to the controller,
  which prints them, as a serial run would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MACHINE_MARKERS = ("act", "containers", "engines")
"""In this order: an act test is marked containers too (it builds images), and belongs to act."""
TESTS = Path(__file__).resolve().parent


def group_of(item: pytest.Item) -> str:
    marker = next((m for m in MACHINE_MARKERS if item.get_closest_marker(m)), None)
    if marker is not None:
        return marker
    path = Path(str(item.path)).resolve()
    return "validators" if path.is_relative_to(TESTS / "validators") else str(path.relative_to(TESTS))


FIRST = {"act": 0, "containers": 1, "validators": 2, "engines": 3}
"""The groups that take longest, in the order workers should start them (pyproject's addopts turn off xdist's
own order, by number of tests, which would start them last)."""


def assign_groups(items: list[pytest.Item]) -> None:
    groups = {item.nodeid: group_of(item) for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    if in_worker():  # a serial run keeps the order of the files
        items.sort(key=lambda item: FIRST.get(groups[item.nodeid], len(FIRST)))


def in_worker() -> bool:
    return "PYTEST_XDIST_WORKER" in os.environ


def share_section(config: pytest.Config, title: str, lines: list[str]) -> None:
    """In a worker, hand a terminal summary section to the controller (see ``print_shared_sections``)."""
    output = getattr(config, "workeroutput", None)
    if output is not None and lines:
        output.setdefault("sections", {}).setdefault(title, []).extend(lines)


SHARED: dict[str, list[str]] = {}


def receive_sections(node) -> None:  # type: ignore[no-untyped-def]
    for title, lines in getattr(node, "workeroutput", {}).get("sections", {}).items():
        SHARED.setdefault(title, []).extend(lines)


def print_shared_sections(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for title, lines in SHARED.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
