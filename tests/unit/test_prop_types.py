"""Props typed by TypedDicts are checked at run time with messages that name path, prop and fix."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, ForwardRef, Literal, NotRequired, Optional, Required, TypedDict, Union

import pytest

from shipform.errors import ShipformError
from shipform.values.prop_types import check_props, check_value

PATH = "shop/dev/api"


class Health:
    prop_example: ClassVar[str] = "Health.http('/healthz')"

    @classmethod
    def http(cls, path: str) -> Health:
        return cls()


class Port:
    """A class without prop_example: the fix falls back to a generic hint."""


class WorkloadProps(TypedDict, total=False):
    image: Required[str]
    """The image to run."""
    replicas: int
    """How many copies run."""
    command: Sequence[str]
    """Exec-form command."""
    env: Mapping[str, str]
    """Environment variables."""


class WebServiceProps(WorkloadProps, total=False):
    port: Required[int]
    """The port the process listens on."""
    health: Health | None
    """How to tell the process is healthy."""
    gitops: Literal["argocd", "flux"]
    """Which GitOps tool deploys it."""
    timeout: int | None
    """Seconds, or None for no timeout."""
    labels: tuple[str, str]
    """A (key, value) pair."""
    cpu: float
    """Cores."""
    public: bool
    """Reachable from the internet."""
    extra: Any
    """Anything at all."""
    api_token: str
    """A credential-like prop."""
    ports: Sequence[Port]
    """Extra ports."""


class StrictProps(TypedDict):
    """total=True with NotRequired: the opposite way of marking optional keys."""

    name: str
    note: NotRequired[str]


class BrokenProps(TypedDict, total=False):
    missing: UndefinedName  # type: ignore[name-defined]  # noqa: F821


MINIMAL = {"image": "nginx:1.27.3", "port": 80}


def error_for(given: Mapping[str, object], schema: type = WebServiceProps) -> ShipformError:
    with pytest.raises(ShipformError) as caught:
        check_props(PATH, given, schema)
    return caught.value


def value_error(prop: str, value: object, annotation: object) -> ShipformError:
    with pytest.raises(ShipformError) as caught:
        check_value(PATH, prop, value, annotation)
    return caught.value


# (id, extra props) that must pass on top of MINIMAL
ACCEPTED = [
    ("minimal", {}),
    ("replicas-int", {"replicas": 3}),
    ("command-list", {"command": ["gunicorn", "app:app"]}),
    ("command-tuple", {"command": ("gunicorn", "app:app")}),
    ("command-empty", {"command": []}),
    ("env-dict", {"env": {"LOG_LEVEL": "info"}}),
    ("health-object", {"health": Health.http("/healthz")}),
    ("health-none", {"health": None}),
    ("gitops-literal", {"gitops": "flux"}),
    ("timeout-int", {"timeout": 30}),
    ("timeout-none", {"timeout": None}),
    ("labels-pair", {"labels": ("team", "shop")}),
    ("labels-pair-as-list", {"labels": ["team", "shop"]}),
    ("cpu-float", {"cpu": 0.5}),
    ("cpu-int-is-a-float", {"cpu": 2}),
    ("public-bool", {"public": True}),
    ("extra-anything", {"extra": object()}),
    ("ports-objects", {"ports": [Port(), Port()]}),
    ("everything", {"replicas": 2, "command": ["a"], "env": {}, "gitops": "argocd", "public": False}),
]


@pytest.mark.parametrize("extra", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_props_pass(extra):
    check_props(PATH, {**MINIMAL, **extra}, WebServiceProps)


# (id, extra props, prop named in the error, expected "must be ..." description)
WRONG_TYPES = [
    ("replicas-str", {"replicas": "3"}, "replicas", "an integer"),
    ("replicas-bool", {"replicas": True}, "replicas", "an integer"),
    ("replicas-float", {"replicas": 1.5}, "replicas", "an integer"),
    ("image-int", {"image": 5}, "image", "a string"),
    ("public-int", {"public": 1}, "public", "true or false"),
    ("cpu-bool", {"cpu": False}, "cpu", "a number"),
    ("cpu-str", {"cpu": "0.5"}, "cpu", "a number"),
    ("command-str", {"command": "gunicorn app:app"}, "command", "a list of strings"),
    ("command-bytes", {"command": b"gunicorn"}, "command", "a list of strings"),
    ("command-item-int", {"command": ["gunicorn", 8000]}, "command[1]", "a string"),
    ("env-list", {"env": ["LOG_LEVEL=info"]}, "env", "a mapping of strings to strings"),
    ("env-value-int", {"env": {"WORKERS": 4}}, "env.WORKERS", "a string"),
    ("env-key-int", {"env": {4: "four"}}, "env key", "a string"),
    ("health-str", {"health": "/healthz"}, "health", "a Health or None"),
    ("gitops-typo", {"gitops": "argo"}, "gitops", "one of 'argocd', 'flux'"),
    ("gitops-bool", {"gitops": True}, "gitops", "one of 'argocd', 'flux'"),
    ("timeout-str", {"timeout": "30s"}, "timeout", "an integer or None"),
    ("timeout-bool", {"timeout": False}, "timeout", "an integer or None"),
    ("labels-too-short", {"labels": ("team",)}, "labels", "a tuple of a string and a string"),
    ("labels-too-long", {"labels": ("a", "b", "c")}, "labels", "a tuple of a string and a string"),
    ("labels-item-int", {"labels": ("team", 7)}, "labels[1]", "a string"),
    ("ports-int", {"ports": 8080}, "ports", "a list of Port objects"),
    ("ports-item-int", {"ports": [Port(), 8080]}, "ports[1]", "a Port"),
]


@pytest.mark.parametrize(
    ("extra", "prop", "description"), [c[1:] for c in WRONG_TYPES], ids=[c[0] for c in WRONG_TYPES]
)
def test_wrong_type_names_path_prop_description_and_fix(extra, prop, description):
    err = error_for({**MINIMAL, **extra})
    assert str(err).startswith(f"{PATH}: '{prop}' must be {description}")
    assert re.search(r"\. Fix: (did you mean '[a-z]+'\? )?pass ", str(err))
    assert (err.path, err.prop, err.problem) == (PATH, prop, f"must be {description}")


def test_a_literal_near_a_choice_gets_the_choice_first():
    assert error_for({**MINIMAL, "gitops": "argo"}).fix == "did you mean 'argocd'? pass one of 'argocd', 'flux'"
    assert error_for({**MINIMAL, "gitops": "helm"}).fix == "pass one of 'argocd', 'flux'"  # nothing near


def test_none_for_a_prop_whose_type_has_no_none_says_to_leave_it_out():
    err = error_for({**MINIMAL, "gitops": None})
    assert err.problem == "must be one of 'argocd', 'flux', not None"
    assert err.fix == "leave gitops out for its default, or pass one of 'argocd', 'flux'"
    check_props(PATH, {**MINIMAL, "timeout": None}, WebServiceProps)  # typed `int | None`: None is a value there


def test_the_tables_are_big_enough():
    assert len(ACCEPTED) >= 15 and len(WRONG_TYPES) >= 20


@pytest.mark.parametrize(("typo", "meant"), [("replica", "replicas"), ("heath", "health"), ("comand", "command"),
                                             ("gitop", "gitops"), ("Port", "port")])
def test_unknown_prop_close_to_a_known_one_suggests_it(typo, meant):
    err = error_for({**MINIMAL, typo: 1})
    assert str(err).startswith(f"{PATH}: '{typo}' is not a prop of WebService")
    assert err.fix == f"did you mean {meant!r}?"


def test_unknown_prop_far_from_all_lists_the_known_props_sorted():
    err = error_for({**MINIMAL, "zzz": 1}, WorkloadProps)
    assert err.problem == "is not a prop of Workload"
    assert err.fix == "known props: command, env, image, replicas"


def test_unknown_props_are_reported_in_the_given_order_before_missing_and_wrong_types():
    err = error_for({"replicas": "x", "zzz": 1, "yyy": 2})
    assert err.prop == "zzz"


@pytest.mark.parametrize(("given", "missing"), [({"port": 80}, "image"), ({"image": "nginx:1.27.3"}, "port"),
                                                ({}, "image")])
def test_missing_required_prop_asks_for_it(given, missing):
    err = error_for(given)
    assert str(err) == f"{PATH}: '{missing}' is required. Fix: pass {missing}=..."


def test_missing_required_props_are_reported_before_wrong_types():
    assert error_for({"replicas": "x", "port": 80}).prop == "image"


def test_required_and_not_required_are_honoured_under_future_annotations():
    # Python 3.11 computes __required_keys__ wrongly for string annotations; the checker must not.
    check_props(PATH, {"name": "a"}, StrictProps)
    assert error_for({"note": "n"}, StrictProps).prop == "name"


def test_bool_is_refused_where_an_integer_is_expected():
    err = error_for({**MINIMAL, "port": True})
    assert (err.prop, err.problem, err.value, err.fix) == ("port", "must be an integer", True, "pass a whole number")


def test_string_is_refused_where_a_list_of_strings_is_expected():
    err = error_for({**MINIMAL, "command": "gunicorn app:app"})
    assert err.fix == "pass a list of strings, e.g. ['a', 'b']"


def test_class_with_prop_example_gives_it_as_the_fix():
    assert error_for({**MINIMAL, "health": "/healthz"}).fix == "pass health=Health.http('/healthz')"


def test_item_of_a_class_with_prop_example_names_the_item_in_the_fix():
    err = value_error("checks", [Health(), "/x"], Sequence[Health])
    assert (err.prop, err.fix) == ("checks[1]", "pass Health.http('/healthz') as checks[1]")


@pytest.mark.parametrize(("extra", "prop"), [({"command": ["a", "b", 3]}, "command[2]"),
                                             ({"env": {"LOG_LEVEL": 1}}, "env.LOG_LEVEL"),
                                             ({"labels": [1, "b"]}, "labels[0]")])
def test_nested_item_is_named_in_the_message(extra, prop):
    assert str(error_for({**MINIMAL, **extra})).startswith(f"{PATH}: '{prop}' must be a string, got ")


def test_union_reports_the_bad_item_rather_than_the_whole_value():
    err = value_error("args", ["a", 2], Sequence[str] | None)
    assert (err.prop, err.problem) == ("args[1]", "must be a string")


# (id, given props or (prop, value, annotation) for check_value, the secret that must not show)
REDACTED = [
    ("env-password", {**MINIMAL, "env": {"DB_PASSWORD": 123456789}}, "123456789"),
    ("env-api-key", {**MINIMAL, "env": {"STRIPE_API_KEY": 987654321}}, "987654321"),
    ("env-key", {**MINIMAL, "env": {"key": 555444333}}, "555444333"),
    ("token-prop", {**MINIMAL, "api_token": 1122334455}, "1122334455"),
    ("unknown-secret-prop", {**MINIMAL, "db_secret": "hunter2-value"}, "hunter2-value"),
    ("unknown-private-prop", {**MINIMAL, "private_key_pem": "-----BEGIN"}, "-----BEGIN"),
]


@pytest.mark.parametrize(("given", "secret"), [c[1:] for c in REDACTED], ids=[c[0] for c in REDACTED])
def test_credential_like_props_have_their_value_redacted(given, secret):
    err = error_for(given)
    assert err.value == "<redacted>" and secret not in str(err) and "got '<redacted>'" in str(err)


def test_credential_like_item_of_a_list_is_redacted():
    err = value_error("api_tokens", ["ok", 424242], Sequence[str])
    assert (err.prop, err.value) == ("api_tokens[1]", "<redacted>")


def test_values_longer_than_80_characters_are_cut_in_the_message():
    err = error_for({**MINIMAL, "image": ["x" * 500]})
    shown = str(err).split(", got ", 1)[1].split(". Fix: ", 1)[0]
    assert len(shown) == 80 and shown.endswith("...")


def test_values_up_to_80_characters_are_kept_as_given():
    value = ["x" * 70]
    assert error_for({**MINIMAL, "image": value}).value is value


# (annotation, value) pairs check_value must accept; typing.Optional and Union are spelled out on purpose
VALUE_ACCEPTED = [
    (int, 1), (float, 1), (float, 1.5), (bool, False), (str, ""), (object, None), (Any, [1, "a"]),
    (None, None), (type(None), None), (Optional[int], None), (Optional[int], 3),  # noqa: UP045
    (Union[int, str], "a"),  # noqa: UP007
    (int | bool, True), (Literal[1, 2], 2), (Literal["a"], "a"), (list[int], [1, 2]), (tuple[int, ...], (1, 2)),
    (tuple[str, int], ("a", 1)), (dict[str, int], {"a": 1}), (Mapping[str, Sequence[int]], {"a": [1]}),
    (Sequence[Sequence[str]], [["a"], ("b",)]),
]


@pytest.mark.parametrize(("annotation", "value"), VALUE_ACCEPTED, ids=[repr(c) for c in VALUE_ACCEPTED])
def test_check_value_accepts_matching_values(annotation, value):
    check_value(PATH, "x", value, annotation)


# (annotation, value, expected problem) check_value must refuse
VALUE_REFUSED = [
    (int, True, "must be an integer"), (float, True, "must be a number"), (str, 1, "must be a string"),
    (bool, 0, "must be true or false"), (None, 0, "must be None"),
    (Optional[int], "1", "must be an integer or None"),  # noqa: UP045
    (Literal["a", "b"], True, "must be one of 'a', 'b'"), (Literal[1], True, "must be 1"),
    (list[int], "12", "must be a list of integers"), (tuple[int, ...], b"12", "must be a list of integers"),
    (tuple[str, int], ("a", 1, 2), "must be a tuple of a string and an integer"),
    (dict[str, int], [("a", 1)], "must be a mapping of strings to integers"),
    (Sequence[Sequence[str]], ["ab"], "must be a list of strings"),
    (Port, "8080", "must be a Port"), (Health, 1, "must be a Health"),
]


@pytest.mark.parametrize(("annotation", "value", "problem"), VALUE_REFUSED, ids=[repr(c[:2]) for c in VALUE_REFUSED])
def test_check_value_refuses_other_values_with_a_readable_problem(annotation, value, problem):
    err = value_error("x", value, annotation)
    assert err.problem == problem and err.fix.startswith("pass ")


@pytest.mark.parametrize("annotation", ["Health", ForwardRef("Health"), set[str], Sequence[ForwardRef("Missing")]])
def test_unresolved_or_unsupported_annotation_is_a_type_error_for_shipform_developers(annotation):
    with pytest.raises(TypeError, match="shipform bug"):
        check_value(PATH, "x", ["a"], annotation)


def test_schema_with_an_undefined_name_is_a_type_error_for_shipform_developers():
    with pytest.raises(TypeError, match="shipform bug: cannot resolve the annotations of BrokenProps"):
        check_props(PATH, {"missing": 1}, BrokenProps)


def test_schema_that_is_not_a_typeddict_is_a_type_error():
    with pytest.raises(TypeError, match="not a TypedDict"):
        check_props(PATH, {}, Port)
