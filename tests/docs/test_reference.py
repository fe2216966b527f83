"""The API reference is whole: every public name of shipform has its entry in docs/reference/, and every prop has a
docstring, read as the site reads it (griffe, which mkdocstrings uses). A prop is a key of a public ``...Props``
TypedDict (its own or inherited: an attribute docstring), a keyword parameter of a public construct (a ``:param``
of its docstring), or a parameter of a public value object, error or function (a ``:param``, or a dataclass field's
docstring); a construct that takes ``**props: Unpack[...]`` takes a TypedDict users can import."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

import pytest

from conftest import REPO

REFERENCE = REPO / "docs" / "reference"
DIRECTIVE = re.compile(r"^::: shipform\.(\w+)$", re.M)


def public() -> dict[str, Any]:
    import shipform

    return {name: getattr(shipform, name) for name in shipform.__all__ if not name.startswith("_")}


@pytest.fixture(scope="module")
def package() -> Any:
    """shipform as griffe reads it for the site: statically, from this repository's source."""
    import griffe

    return griffe.load("shipform", search_paths=[str(REPO / "constructs")], docstring_parser="sphinx",
                       resolve_aliases=True, resolve_external=False)


def documented_parameters(obj: Any) -> dict[str, str]:
    """{name: description} of what documents the parameters of a class or function, as the site shows them: the
    ``:param`` fields of its docstring (and of its ``__init__``'s), and the docstrings of a dataclass's fields."""
    found = {name: member.docstring.value for name, member in obj.all_members.items()
             if obj.is_class and member.is_attribute and member.docstring is not None}
    for documented in (obj, obj.members.get("__init__") if obj.is_class else None):
        if documented is not None and documented.docstring is not None:
            for section in documented.docstring.parse("sphinx"):
                if section.kind.value == "parameters":
                    found.update({p.name: p.description for p in section.value})
    return found


def test_every_public_name_has_one_entry_in_the_reference():
    entries = [name for page in sorted(REFERENCE.glob("*.md")) for name in DIRECTIVE.findall(page.read_text())]
    assert sorted(entries) == sorted(set(entries)), "a name has two entries"
    assert set(entries) == set(public()) - {"__version__"}


def test_every_key_of_every_public_typeddict_has_a_docstring(package):
    typeddicts = {name: obj for name, obj in public().items() if typing.is_typeddict(obj)}
    assert {"WebServiceProps", "EnvironmentProps", "StatefulDBProps"} <= set(typeddicts)
    undocumented = []
    for name, runtime in typeddicts.items():
        members = package[name].final_target.all_members
        for key in sorted(runtime.__required_keys__ | runtime.__optional_keys__):
            member = members.get(key)
            if member is None or member.docstring is None or not member.docstring.value.strip():
                undocumented.append(f"{name}.{key}")
    assert not undocumented, f"props without a docstring: {', '.join(undocumented)}"


def constructs() -> dict[str, Any]:
    from constructs import Construct

    return {name: obj for name, obj in public().items() if inspect.isclass(obj) and issubclass(obj, Construct)}


def test_every_construct_takes_props_users_can_import():
    names = constructs()
    assert {"App", "Environment", "WebService", "StatefulDB", "LogShipper"} <= set(names)
    exported = set(public())
    for name, cls in names.items():
        for parameter in inspect.signature(cls.__init__).parameters.values():
            if parameter.kind is parameter.VAR_KEYWORD:
                unpacked = re.fullmatch(r"Unpack\[(\w+)\]", str(parameter.annotation))
                assert unpacked, f"{name}(**{parameter.name}): props are typed as Unpack[<a TypedDict>]"
                assert unpacked[1] in exported, f"{name}'s props {unpacked[1]} are not exported by shipform"


def parameters(name: str, obj: Any) -> list[inspect.Parameter]:
    """The parameters users pass by name: a construct's keywords (after its scope and id, and besides its props,
    checked as a TypedDict), every named parameter of a value object's, an error's or a function's signature."""
    from constructs import Construct

    construct = inspect.isclass(obj) and issubclass(obj, Construct)
    try:
        signature = inspect.signature(obj.__init__ if construct else obj)
    except ValueError:  # a constructor of Python's own (InvalidApp is an Exception as it is): nothing of shipform's
        return []
    named = [p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return [p for p in named if p.kind is p.KEYWORD_ONLY] if construct else named


def test_every_parameter_of_a_public_class_or_function_is_documented(package):
    undocumented, checked = [], 0
    for name, obj in public().items():
        if typing.is_typeddict(obj) or not callable(obj):
            continue
        described = documented_parameters(package[name].final_target)
        for parameter in parameters(name, obj):
            checked += 1
            if not described.get(parameter.name, "").strip():
                undocumented.append(f"{name}({parameter.name}=)")
    assert checked > 150
    assert not undocumented, f"parameters without a docstring or :param: {', '.join(undocumented)}"


def test_the_check_finds_an_undocumented_key():
    """The rule reads attribute docstrings, so a key written without one is found (a TypedDict made here)."""
    import griffe

    module = griffe.visit("example", filepath=REPO / "example.py", code=(
        "from typing import TypedDict\n"
        "class ExampleProps(TypedDict, total=False):\n"
        "    port: int\n"
        '    """Default: 8080."""\n'
        "    host: str\n"))
    members = module["ExampleProps"].members
    assert members["port"].docstring.value == "Default: 8080."
    assert members["host"].docstring is None
