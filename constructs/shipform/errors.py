"""The errors users see: one problem located by construct path and prop, or several reported together."""

from __future__ import annotations


class InvalidApp(Exception):
    """The app definition cannot be synthesized; ``problems`` lists why, one located error each."""

    @property
    def problems(self) -> list[ShipformError]:
        raise NotImplementedError


class ShipformError(InvalidApp):
    """A problem in an app definition, located by construct path and prop.

    The message always reads ``<path>: '<prop>' <problem>, got <value>. Fix: <fix>``
    so a user can find the line to change without a traceback.

    :param path: the construct's path ('shop/dev/api').
    :param prop: the prop at fault ('port', or 'resources.cpu' for a field of a value).
    :param problem: what is wrong, as the message says it after the prop ("must be 1-65535").
    :param value: Default: None (not shown). The bad value, shown after ``got``.
    :param fix: Default: '' (none shown). What to change, shown after ``Fix:``.
    """

    def __init__(self, path: str, prop: str, problem: str, value: object = None, fix: str = ""):
        self.path = path
        self.prop = prop
        self.problem = problem
        self.value = value
        self.fix = fix
        self.location: str | None = None
        """``file:line`` of the user's code that created the construct at ``path``, once known (see
        model/construction.py); not part of the message, so the message reads the same wherever it is shown."""
        got = "" if value is None else f", got {value!r}"
        tail = f". Fix: {fix}" if fix else ""
        super().__init__(f"{one_line(path)}: '{one_line(prop)}' {problem}{got}{tail}")

    @property
    def problems(self) -> list[ShipformError]:
        return [self]

    def located(self) -> str:
        """The message after the file and line that created the construct (``app.py:14: shop/dev/api: ...``)."""
        return f"{self.location}: {self}" if self.location else str(self)


class ShipformErrors(InvalidApp):
    """Every validation problem of one synth, so users fix them all in one round (one line each).

    :param errors: the problems, in the order they were found."""

    def __init__(self, errors: list[ShipformError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    @property
    def problems(self) -> list[ShipformError]:
        return list(self.errors)


def one_line(text: object) -> str:
    """``text`` with its control characters escaped as Python writes them ('t\\n'): a path or prop made of a
    bad id or key still reads as one line of the message."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def raise_all(errors: list[ShipformError]) -> None:
    """Raise the problems found, if any: the one error itself, or all of them together."""
    if errors:
        raise ShipformErrors(errors) if len(errors) > 1 else errors[0]
