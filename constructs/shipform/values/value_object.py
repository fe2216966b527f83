"""Value objects (Health, Quota, Build, ...) are dataclasses the user builds; a keyword they do not have is a
ShipformError with a did-you-mean, not a Python TypeError.

The unknown keyword is kept on the object and reported where the object is checked as a prop (``check_props``
and ``check_fields`` look at every value object they meet), so the error names the construct path and the prop
(``shop/dev/team: 'quota.config_maps' is not a field of Quota``). When the object cannot be built without it (a
misspelled required field), the error comes at once, named after the class.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from shipform.errors import ShipformError
from shipform.values.checks import SECRET_NAME

C = TypeVar("C", bound=type)
_UNKNOWN = "_shipform_unknown_fields"


def value_object(cls: C) -> C:
    """Class decorator, above ``@dataclass``: the class's ``__init__`` takes unknown keywords and keeps them for
    :func:`unknown_fields` (or raises at once, when the object cannot be built without them)."""
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]
    known = tuple(f.name for f in dataclasses.fields(cls) if f.init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        unknown = {key: kwargs.pop(key) for key in list(kwargs) if key not in known}
        if not unknown:
            init(self, *args, **kwargs)
            return
        try:
            init(self, *args, **kwargs)
        except TypeError:  # e.g. a misspelled required field: nothing to keep, so say it now
            key, value = next(iter(unknown.items()))
            shown = "<redacted>" if SECRET_NAME.search(key) else value
            raise unknown_field(cls.__name__, key, shown, cls.__name__, known) from None
        object.__setattr__(self, _UNKNOWN, unknown)

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


def unknown_fields(value: object) -> Mapping[str, object]:
    """The keywords a value object was given that it has no field for ({} for anything else)."""
    found = getattr(value, _UNKNOWN, None)
    return found if isinstance(found, dict) else {}


def unknown_field(path: str, prop: str, value: object, cls: str, known: Iterable[str]) -> ShipformError:
    """``<path>: '<prop>' is not a field of <cls>, got <value>. Fix: did you mean '<field>'?``"""
    name = prop.rsplit(".", 1)[-1]
    fields = [f for f in known if not f.startswith("_")]
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    fix = f"did you mean {close[0]!r}?" if close else f"{cls} has {', '.join(fields)}"
    return ShipformError(path, prop, f"is not a field of {cls}", value, fix)
