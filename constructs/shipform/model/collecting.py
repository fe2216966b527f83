"""Which Apps a block of code creates and how their constructs behave meanwhile: the CLI collects them to
synthesize them itself, ``python app.py`` collects them to report every construct's errors together."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any


class _Collector:
    def __init__(self, defer_synth: bool, collect_errors: bool, script: bool = False):
        self.apps: list[Any] = []  # model.stage's Apps (stage imports this module, so not named here)
        self.defer_synth = defer_synth
        self.collect_errors = collect_errors
        self.script = script
        """Collecting for ``python app.py`` (model/app_file.py): synth reports the errors and exits."""


_collector: contextvars.ContextVar[_Collector | None] = contextvars.ContextVar("shipform_apps", default=None)


@contextlib.contextmanager
def collect_apps(defer_synth: bool = False, collect_errors: bool = False) -> Iterator[list[Any]]:
    """Every App created inside the block lands in the yielded list (``with collect_apps() as apps:``).

    :param defer_synth: Default: False. True: the Apps' ``synth()`` calls do nothing (the CLI synthesizes them
        itself, with its own options).
    :param collect_errors: Default: False. True: a construct whose props are wrong does not raise; its error waits
        in its App for synth, which reports every construct's at once (see model/construction.py)."""
    collector = _Collector(defer_synth, collect_errors)
    token = _collector.set(collector)
    try:
        yield collector.apps
    finally:
        _collector.reset(token)


def synth_deferred() -> bool:
    collector = _collector.get()
    return collector is not None and collector.defer_synth


def running_script() -> bool:
    """The Apps are created by the file Python runs (``python app.py``), which collects every construct's errors
    for ``App.synth()`` to report together."""
    collector = _collector.get()
    return collector is not None and collector.script


def collecting_errors() -> bool:
    """Constructs record their errors instead of raising them (inside ``collect_apps(collect_errors=True)``)."""
    collector = _collector.get()
    return collector is not None and collector.collect_errors
