"""How shipform constructs come to be: where in the user's code each is created (``file:line``, which every
error line about it starts with), and what happens to a construct whose props are wrong.

Used directly (a test, a REPL, an imported module) a constructor raises its ShipformError at once, as any Python
constructor would: ``pytest.raises(ShipformError)`` around it holds, and the traceback points at the line.
While the CLI runs an app file (``collect_apps(collect_errors=True)``), or Python runs it as its program
(``python app.py``: model/app_file.py, reported by synth/script.py), it does not: the construct's first error
is recorded in its App, the construct is marked broken and leaves its Environment's index, and the file runs
on, so synth (model/validation.py) reports every construct's problems in one run. A broken construct is never
checked or rendered; code that reads an attribute it never got (``api.on("grpc")``, a check of a client that
connects to it) gets :class:`BrokenConstructUsed`, which stops there with the errors recorded so far instead of
a Python error."""

from __future__ import annotations

import os
import sys
from types import FrameType
from typing import Any

from constructs import Construct
from jsii import _reference_map
from jsii._runtime import JSIIMeta

from shipform.errors import InvalidApp, ShipformError
from shipform.model.collecting import collecting_errors
from shipform.model.stage import App, Environment

ShipformConstruct = Any
"""A shipform construct (model/base.py's, which imports this module, so it is not imported here)."""

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_WHERE: dict[str, tuple[str, int]] = {}
"""Where each construct was created, by path, while errors are collected: errors found after validation
(rendering, object names) are located by their path when the CLI prints them."""


def created_where() -> tuple[str, int] | None:
    """File and line of the first frame outside shipform, the user's line that creates the construct: a walk up
    ``sys._getframe`` (a few frames; ``inspect.stack`` would read every source file and cost milliseconds)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return None if frame is None else (frame.f_code.co_filename, frame.f_lineno)


def shown(where: tuple[str, int]) -> str:
    """``apps/shop/app.py:14``: relative to the working folder when the file is inside it."""
    filename, line = where
    if os.path.isabs(filename):
        relative = os.path.relpath(filename)
        filename = filename if relative.startswith("..") else relative
    return f"{filename}:{line}"


class BrokenConstructUsed(InvalidApp):
    """Code read an attribute a broken construct never got: every error its App has recorded so far."""

    def __init__(self, construct: ShipformConstruct, attribute: str, errors: list[ShipformError]):
        self.construct = construct
        self.attribute = attribute
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    @property
    def problems(self) -> list[ShipformError]:
        return list(self.errors)


class Constructing(JSIIMeta):
    """The metaclass of shipform's constructs: records where each is created and, while errors are collected,
    turns a constructor's error into a broken construct (see the module's docstring)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        where = created_where()
        construct: Any
        if not collecting_errors():
            construct = super().__call__(*args, **kwargs)
            construct.created_at = where
            return construct
        construct = object.__new__(cls)  # type: ignore[arg-type]  # what type.__call__ does, with the object kept if __init__ raises
        construct.created_at = where
        try:
            construct.__init__(*args, **kwargs)
        except InvalidApp as err:
            _mark_broken(construct, err, args[0] if args else kwargs.get("scope"))
        if "__jsii_ref__" in vars(construct):  # what JSIIMeta.__call__ does once the object exists in jsii
            _reference_map.register_reference(construct)
        path = vars(construct).get("path")
        if path is not None and where is not None:
            _WHERE[path] = where
        return construct


def _mark_broken(construct: ShipformConstruct, err: InvalidApp, scope: object) -> None:
    """Record ``err`` in the construct's App (unless it only says that a broken construct was used, whose error
    is recorded already) and take the construct out of its Environment's index, so no check or output sees it."""
    app = _app_of(construct, scope)
    if app is None:  # not even inside an App: nothing to report it with later
        raise err
    construct.broken = err
    construct.app = app  # where constructs created inside this one, and used_broken, find the errors
    if not isinstance(err, BrokenConstructUsed):
        for problem in err.problems:
            problem.location = problem.location or (shown(construct.created_at) if construct.created_at else None)
            app.construction_errors.append(problem)
    environment = vars(construct).get("environment")
    if isinstance(environment, Environment):  # compared as objects: it may have joined either list or both
        gone: object = construct
        environment.members[:] = [m for m in environment.members if m is not gone]
        environment.workloads[:] = [w for w in environment.workloads if w is not gone]
        # the mesh index reads members from a position on: keep it from skipping the next one
        environment._meshed_read = min(environment._meshed_read, len(environment.members))


def _app_of(construct: ShipformConstruct, scope: object) -> App | None:
    found = vars(construct).get("app")
    if isinstance(found, App):
        return found
    if isinstance(scope, App):
        return scope
    if isinstance(scope, Environment):
        return scope.app
    found = getattr(scope, "__dict__", {}).get("app")  # a shipform construct, even a broken one
    if isinstance(found, App):
        return found
    if isinstance(scope, Construct) and "__jsii_ref__" in vars(scope):
        root = scope.node.root
        return root if isinstance(root, App) else None
    return None


def used_broken(construct: ShipformConstruct, attribute: str) -> BrokenConstructUsed:
    """The error for reading ``attribute`` of a broken construct: every error its App has so far."""
    app = vars(construct).get("app")
    errors = list(app.construction_errors) if isinstance(app, App) else []
    if not errors and construct.broken is not None:
        errors = construct.broken.problems
    return BrokenConstructUsed(construct, attribute, errors)


def locate(errors: list[ShipformError]) -> list[ShipformError]:
    """``errors`` with the place each one's construct was created, where known (see _WHERE)."""
    for err in errors:
        if err.location is None:
            where = _WHERE.get(err.path)
            err.location = shown(where) if where else None
    return errors


def report(err: InvalidApp) -> str:
    """What the CLI prints for an invalid app: one line per problem, each after its ``file:line``."""
    return "\n".join(e.located() for e in locate(err.problems))
