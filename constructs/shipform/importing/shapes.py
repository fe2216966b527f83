"""The shapes the compose specification gives the service keys the import reads: a file that breaks one is refused
with the key and the fix, as ``docker compose config`` would refuse it, instead of being half read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipform.errors import ShipformError

Scalar = (str, int, float, bool)
_SHAPES: dict[str, tuple[tuple[type, ...], tuple[type, ...] | None, str]] = {
    # key: (types the value may have, types a list's items may have, how to say it)
    "image": ((str,), None, "a string"),
    "build": ((str, dict), None, "a string or a mapping"),
    "command": ((str, list), Scalar, "a string or a list of strings"),
    "entrypoint": ((str, list), Scalar, "a string or a list of strings"),
    "environment": ((dict, list), Scalar, "a mapping or a list of NAME=value"),
    "env_file": ((str, list), (str, dict), "a path or a list of paths"),
    "ports": ((list,), (str, int, dict), "a list of port mappings"),
    "expose": ((list,), (str, int), "a list of ports"),
    "depends_on": ((list, dict), (str,), "a list of services or a mapping of them"),
    "links": ((list,), (str,), "a list of services"),
    "networks": ((list, dict), (str,), "a list or a mapping of networks"),
    "healthcheck": ((dict,), None, "a mapping"),
    "volumes": ((list,), (str, dict), "a list of volumes"),
    "tmpfs": ((str, list), (str,), "a path or a list of paths"),
    "profiles": ((list,), (str,), "a list of names"),
    "labels": ((dict, list), Scalar, "a mapping or a list of name=value"),
    "deploy": ((dict,), None, "a mapping"),
    "user": ((str, int), None, "a user as 'uid[:gid]'"),
    "restart": ((str,), None, "'no', 'always', 'on-failure' or 'unless-stopped'"),
    "container_name": ((str,), None, "a string"),
    "hostname": ((str,), None, "a string"),
}
_NESTED: dict[tuple[str, str], tuple[tuple[type, ...], str]] = {
    ("build", "context"): ((str,), "a path"),
    ("build", "dockerfile"): ((str,), "a path"),
    ("build", "args"): ((dict, list), "a mapping or a list of NAME=value"),
    ("healthcheck", "test"): ((str, list), "a string or a list"),
    ("deploy", "replicas"): ((int,), "a number"),
}


def check_services(file: str, services: Mapping[Any, Any]) -> None:
    """Refuse the first service key whose value has no shape the compose specification allows."""
    for name, body in services.items():
        if body is None:
            continue
        if not isinstance(body, dict):
            _refuse(file, f"services.{name}", "a mapping of the service's keys", body)
        for key, value in body.items():
            _check(file, f"services.{name}", str(key), value)


def _check(file: str, where: str, key: str, value: Any) -> None:
    shape = _SHAPES.get(key)
    if shape is None or value is None:
        return
    types, items, said = shape
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        _refuse(file, f"{where}.{key}", said, value)
    if isinstance(value, list) and items is not None:
        for item in value:
            if not isinstance(item, items):
                _refuse(file, f"{where}.{key}", said, value)
    if isinstance(value, dict):
        if key == "environment":
            for item in value.values():
                if item is not None and not isinstance(item, Scalar):
                    _refuse(file, f"{where}.{key}", "a mapping of names to values", value)
        for (parent, child), (child_types, child_said) in _NESTED.items():
            if parent == key and value.get(child) is not None and not isinstance(value[child], child_types):
                _refuse(file, f"{where}.{key}.{child}", child_said, value[child])


def _refuse(file: str, prop: str, said: str, value: Any) -> None:
    shown = str(value) if len(str(value)) <= 60 else str(value)[:57] + "..."
    raise ShipformError(file, prop, f"must be {said} (the compose specification)", shown,
                        "correct the compose file; `docker compose config` checks all of it")
