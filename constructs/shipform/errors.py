"""The one error type users see, and how several are reported together."""

from __future__ import annotations


class ShipformError(Exception):
    """A problem in an app definition, located by construct path and prop.

    The message always reads ``<path>: '<prop>' <problem>, got <value>. Fix: <fix>``
    so a user can find the line to change without a traceback.
    """

    def __init__(self, path: str, prop: str, problem: str, value: object = None, fix: str = ""):
        self.path = path
        self.prop = prop
        self.problem = problem
        self.value = value
        self.fix = fix
        got = "" if value is None else f", got {value!r}"
        tail = f". Fix: {fix}" if fix else ""
        super().__init__(f"{path}: '{prop}' {problem}{got}{tail}")


class ShipformErrors(ShipformError):
    """Every validation problem of one synth, so users fix them all in one round."""

    def __init__(self, errors: list[ShipformError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))
