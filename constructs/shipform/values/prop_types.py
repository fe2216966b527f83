"""Check construct props against the TypedDict that types them (``**props: Unpack[SomeProps]``).

The TypedDicts are the single description of every prop: mypy checks app code against them, and
`check_props` checks the same annotations at run time, so a user who skips type checking gets an
error naming the construct path, the prop, what it must be and how to fix it.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Iterator, Mapping, MutableMapping, MutableSequence, Sequence
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from shipform.errors import ShipformError
from shipform.values.checks import SECRET_NAME
from shipform.values.nearest import did_you_mean
from shipform.values.value_object import unknown_field, unknown_fields

_MAX_SHOWN = 80
_SEQUENCES = (Sequence, MutableSequence, list, tuple)
_MAPPINGS = (Mapping, MutableMapping, dict)

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string", bytes: "bytes"}
_PLURALS = {bool: "true/false values", int: "integers", float: "numbers", str: "strings", bytes: "bytes values"}
_ADVICE = {
    bool: "True or False", int: "a whole number", float: "a number, e.g. 0.5", str: "a string in quotes",
    bytes: "bytes, e.g. b'a'",
}
_EXAMPLES = {
    bool: ("True", "False"), int: ("1", "2"), float: ("0.5", "1.5"), str: ("'a'", "'b'"), bytes: ("b'a'", "b'b'"),
}


REMOVED_PROPS: dict[tuple[str, str], str] = {
    ("StatefulDB", "url_env"): "password_env replaced it: leave it out (clients read <PREFIX>_PASSWORD_FILE and "
                               "get <PREFIX>_URL without the password), or pass password_env='<why clients need the "
                               "password in an env var>'",
}
"""Props that shipform had and dropped, by (construct, prop): what replaced each, for apps written against an
older release (a plain 'did you mean' would guess a neighbour)."""


def check_props(path: str, given: Mapping[str, object], schema: type) -> None:
    """Raise ShipformError for the first problem of `given` against the TypedDict `schema`.

    Unknown keys come first (in the order given), then missing required keys (in declaration
    order), then each given value against its annotation.
    """
    types = _prop_types(schema)
    for key, value in given.items():
        if key not in types:
            construct = schema.__name__.removesuffix("Props")
            if (construct, key) in REMOVED_PROPS:
                raise ShipformError(path, key, f"is no longer a prop of {construct}", _shown(key, value),
                                    REMOVED_PROPS[construct, key])
            raise ShipformError(path, key, f"is not a prop of {construct}", _shown(key, value), _suggest(key, types))
    for key, (_, required) in types.items():
        if required and key not in given:
            raise ShipformError(path, key, "is required", None, f"pass {key}=...")
    for key, value in given.items():
        if value is None and not _fits(*_shape(types[key][0]), None) and not _takes_none(types[key][0]):
            # None is a value only where the prop's type says so; elsewhere the default comes from leaving it out
            raise ShipformError(path, key, f"must be {_describe(types[key][0])}, not None", None,
                                f"leave {key} out for its default, or {_fix(key, types[key][0])}")
        check_value(path, key, value, types[key][0])


def check_value(path: str, prop: str, value: object, annotation: object) -> None:
    """Raise ShipformError if `value` does not match the type `annotation` (used for one prop).

    Items of lists and mappings are checked one by one, and errors name them as `prop[2]`,
    `prop.KEY` (a value) or `prop key` (a key). An annotation this module cannot check is a bug
    in shipform, not in the app, and raises TypeError.
    """
    kind, args = _shape(annotation)
    if kind == "union":
        _check_union(path, prop, value, args, annotation)
    elif not _fits(kind, args, value):
        raise ShipformError(path, prop, f"must be {_describe(annotation)}", _shown(prop, value),
                            _nearest(value, annotation) + _fix(prop, annotation))
    else:
        refuse_unknown_fields(path, prop, value)
        for item_prop, item, item_annotation in _parts(kind, args, prop, value):
            check_value(path, item_prop, item, item_annotation)


def check_fields(path: str, prop: str, value: Any) -> None:
    """Raise ShipformError if a field of the dataclass ``value`` (a value object such as Health or Build,
    built by the user) does not match its annotation; errors name the field as ``prop.field``."""
    refuse_unknown_fields(path, prop, value)
    cls: Any = type(value)
    hints = _field_types(cls)
    for field in dataclasses.fields(value):
        if field.name in hints:
            check_value(path, f"{prop}.{field.name}", getattr(value, field.name), hints[field.name])


def refuse_unknown_fields(path: str, prop: str, value: object) -> None:
    """A keyword the value object (``prop``) was built with but has no field for (see values/value_object.py)."""
    for key, item in unknown_fields(value).items():
        known = [f.name for f in dataclasses.fields(value)]  # type: ignore[arg-type]
        raise unknown_field(path, f"{prop}.{key}", _shown(key, item), type(value).__name__, known)


@functools.cache
def _field_types(cls: Any) -> Mapping[str, object]:
    return {name: hint for name, hint in get_type_hints(cls).items()
            if not (get_origin(hint) is ClassVar or hint is ClassVar)}


@functools.cache
def _prop_types(schema: type) -> Mapping[str, tuple[object, bool]]:
    """Each key of a TypedDict: its annotation without Required/NotRequired, and whether it is required.

    Required-ness comes from the resolved hints: on Python 3.11, with `from __future__ import
    annotations`, `__required_keys__` ignores Required[...] and NotRequired[...].
    """
    attrs = vars(schema)
    if "__required_keys__" not in attrs:
        raise TypeError(f"shipform bug: {schema!r} is not a TypedDict")
    try:
        hints = get_type_hints(schema, include_extras=True)
    except (NameError, AttributeError, TypeError) as err:
        raise TypeError(f"shipform bug: cannot resolve the annotations of {schema.__name__}: {err}") from err
    types: dict[str, tuple[object, bool]] = {}
    for key, hint in hints.items():
        origin = get_origin(hint)
        if origin in (Required, NotRequired):
            types[key] = (get_args(hint)[0], origin is Required)
        else:
            types[key] = (hint, key in attrs["__required_keys__"])
    return types


@functools.cache  # the props of every construct share a few dozen annotations
def _shape(annotation: object) -> tuple[str, tuple[Any, ...]]:
    """Classify an annotation as (kind, arguments); TypeError for one that cannot be checked."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Annotated, Required, NotRequired):
        return _shape(args[0])
    if annotation is Any or annotation is object:
        return "any", ()
    if annotation is None or annotation is type(None):
        return "none", ()
    if origin in (Union, UnionType):
        return "union", args
    if origin is Literal:
        return "literal", args
    if origin is tuple and args and args[-1] is not Ellipsis:
        return "tuple", args
    if origin in _SEQUENCES:
        return "sequence", args[:1] or (Any,)
    if origin in _MAPPINGS:
        return "mapping", args or (Any, Any)
    if origin is None and isinstance(annotation, type):
        return "class", (annotation,)
    raise TypeError(
        f"shipform bug: cannot check a prop annotated {annotation!r}; resolve annotations with "
        "typing.get_type_hints and use classes, X | Y, Literal, Sequence, tuple or Mapping"
    )


def _is_instance(value: object, cls: type) -> bool:
    """isinstance, except that a bool is not a number and an int is a float."""
    if cls in (int, float) and isinstance(value, bool):
        return False
    return isinstance(value, int | float) if cls is float else isinstance(value, cls)


def _fits(kind: str, args: tuple[Any, ...], value: object) -> bool:
    """Whether `value` has the outer shape of the annotation (items are checked by `_parts`)."""
    if kind == "none":
        return value is None
    if kind == "literal":
        return any(_is_instance(value, type(choice)) and value == choice for choice in args)
    if kind == "class":
        return _is_instance(value, args[0])
    if kind in ("sequence", "tuple"):
        if not isinstance(value, list | tuple):  # a str or bytes is not a list of anything
            return False
        return kind == "sequence" or len(value) == len(args)
    if kind == "mapping":
        return isinstance(value, Mapping)
    return kind == "any"


def _parts(kind: str, args: tuple[Any, ...], prop: str, value: Any) -> Iterator[tuple[str, object, object]]:
    """The items of a container value, each as (prop naming it, item, annotation of the item)."""
    if kind == "sequence":
        yield from ((f"{prop}[{i}]", item, args[0]) for i, item in enumerate(value))
    elif kind == "tuple":
        yield from ((f"{prop}[{i}]", item, arg) for i, (item, arg) in enumerate(zip(value, args, strict=True)))
    elif kind == "mapping":
        for key, item in value.items():
            yield f"{prop} key", key, args[0]
            yield f"{prop}.{key}", item, args[1]


def _check_union(path: str, prop: str, value: object, args: tuple[Any, ...], annotation: object) -> None:
    """Pass if any member matches; else prefer an error about an item (`env.X`) over the whole prop."""
    about_items = []
    for member in args:
        try:
            check_value(path, prop, value, member)
            return
        except ShipformError as err:
            if err.prop != prop:
                about_items.append(err)
    if about_items:
        raise about_items[0]
    raise ShipformError(path, prop, f"must be {_describe(annotation)}", _shown(prop, value),
                        _nearest(value, annotation) + _fix(prop, annotation))


def _takes_none(annotation: object) -> bool:
    kind, args = _shape(annotation)
    return kind in ("none", "any") or (kind == "union" and any(_takes_none(arg) for arg in args))


def _nearest(value: object, annotation: object) -> str:
    """'did you mean ...? ' for a string near a choice of the annotation's Literals (``engine='postgresql'``)."""
    return did_you_mean(value, _choices(annotation))


def _choices(annotation: object) -> tuple[object, ...]:
    kind, args = _shape(annotation)
    if kind == "literal":
        return args
    return tuple(c for arg in args for c in _choices(arg)) if kind == "union" else ()


def _describe(annotation: object) -> str:
    """'an integer', 'a list of strings', "one of 'argocd', 'flux'", 'a Health or None'."""
    kind, args = _shape(annotation)
    if kind == "class":
        name = args[0].__name__
        return _NAMES.get(args[0]) or f"{_article(name)} {name}"
    if kind == "sequence":
        return f"a list of {_plural(args[0])}"
    if kind == "tuple":
        return f"a tuple of {_and(*(_describe(arg) for arg in args))}"
    if kind == "mapping":
        return f"a mapping of {_plural(args[0])} to {_plural(args[1])}"
    if kind == "literal":
        return repr(args[0]) if len(args) == 1 else "one of " + ", ".join(repr(choice) for choice in args)
    if kind == "union":
        return " or ".join(_describe(arg) for arg in args)
    return "None" if kind == "none" else "anything"


def _article(name: str) -> str:
    """'an' before a vowel sound: 'an Engine', and 'an S3Target', whose initialism is read letter by letter."""
    read_as_letters = len(name) > 1 and (name[1].isupper() or name[1] in "0123456789")
    return "an" if name[0].upper() in "AEIOU" or (read_as_letters and name[0] in "FHLMNRSX") else "a"


def _plural(annotation: object) -> str:
    """The items of a list or mapping: 'strings', 'Health objects', 'lists of integers'."""
    kind, args = _shape(annotation)
    if kind == "class":
        return _PLURALS.get(args[0]) or f"{args[0].__name__} objects"
    if kind in ("sequence", "tuple", "mapping"):
        container, items = _describe(annotation).removeprefix("a ").split(" of ", 1)
        return f"{container}s of {items}"
    if kind == "literal":
        return "values from " + ", ".join(repr(choice) for choice in args)
    if kind == "union":
        return " or ".join(_plural(arg) for arg in args)
    return "None values" if kind == "none" else "values"


def _and(*parts: str) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _fix(prop: str, annotation: object) -> str:
    """How to fix a value: the class's own `prop_example` if it has one, else a generic hint."""
    example = _prop_example(annotation)
    if example is None:
        return f"pass {_advice(annotation)}"
    return f"pass {prop}={example}" if prop.isidentifier() else f"pass {example} as {prop}"


def _prop_example(annotation: object) -> str | None:
    """`prop_example` of the expected class, or of the first class of a union that has one."""
    kind, args = _shape(annotation)
    for member in args if kind in ("class", "union") else ():
        example = getattr(member, "prop_example", None)
        if isinstance(example, str):
            return example
    return None


def _advice(annotation: object) -> str:
    """What to pass, after 'pass ': 'a whole number', "a list of strings, e.g. ['a', 'b']"."""
    kind, args = _shape(annotation)
    if kind == "class":
        return _ADVICE.get(args[0]) or f"{_describe(annotation)} object"
    if kind == "union":
        return " or ".join(_advice(arg) for arg in args)
    if kind in ("sequence", "tuple", "mapping"):
        return f"{_describe(annotation)}, e.g. {_examples(annotation)[0]}"
    return _describe(annotation)


def _examples(annotation: object) -> tuple[str, str]:
    """Two examples of a value, written as Python source."""
    kind, args = _shape(annotation)
    if kind == "class":
        own = _prop_example(annotation)
        return (own, own) if own else _EXAMPLES.get(args[0], (f"{args[0].__name__}(...)",) * 2)
    if kind == "sequence":
        first, second = _examples(args[0])
        return (f"[{first}, {second}]" if first != second else f"[{first}]"), f"[{second}]"
    if kind == "tuple":
        items = [_examples(arg)[i % 2] for i, arg in enumerate(args)]
        return (f"({', '.join(items)}{',' if len(items) == 1 else ''})",) * 2
    if kind == "mapping":
        keys, values = _examples(args[0]), _examples(args[1])
        return f"{{{keys[0]}: {values[1]}}}", f"{{{keys[1]}: {values[0]}}}"
    if kind == "literal":
        return repr(args[0]), repr(args[-1])
    if kind == "union":
        return _examples(next((arg for arg in args if arg not in (None, type(None))), args[0]))
    return ("None", "None") if kind == "none" else ("'a'", "1")


class _Shown(str):
    """A value cut to length for a message: repr() shows the text as it is."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _shown(prop: str, value: object) -> object:
    """The value to put in an error: '<redacted>' for credential-like props, else at most 80 characters of repr."""
    name = re.sub(r"(\[[0-9]+\])+\Z", "", prop.rsplit(".", 1)[-1])
    if value is not None and SECRET_NAME.search(name):
        return "<redacted>"
    text = repr(value)
    return value if len(text) <= _MAX_SHOWN else _Shown(text[: _MAX_SHOWN - 3] + "...")


def _suggest(key: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else "known props: " + ", ".join(sorted(known))
