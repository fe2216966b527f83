"""Reading a compose file as ``docker compose`` does: YAML 1.2 scalars (``22:22`` is a string, ``on`` is not
true), anchors and ``<<`` merge keys, interpolation from the ``.env`` beside it, ``env_file`` values; then the
long and short forms of each key the import reads, made one."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shipform.errors import ShipformError
from shipform.importing.interpolation import Variables, read_env_file
from shipform.importing.shapes import check_services

EXPLICIT_ENV = "x-shipform-environment"
"""The key (an extension key, which the import skips) listing the variables a service's ``environment`` sets, as
opposed to those its ``env_file`` files set."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's core booleans and integers: compose's parser (go-yaml v3) reads '5000:80' as a
    string and 'yes' as a string, where YAML 1.1 would read a base-60 number and true."""


_YAML11 = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z"),
                              list("-+0123456789"))


@dataclass
class ComposeFile:
    """A compose file read and interpolated: its services (each a mapping with compose's keys), networks and
    volumes, the folder relative paths start from, and the variables found unset."""

    path: Path
    name: str
    services: dict[str, dict[str, Any]]
    networks: dict[str, Any]
    volumes: dict[str, Any]
    unset: list[str]
    named: bool = False
    """The file names its project (top-level ``name:``)."""

    @property
    def folder(self) -> Path:
        return self.path.parent


def load(path: Path) -> ComposeFile:
    """The compose file at ``path``; a ShipformError for a file that is not one (missing, not YAML, no
    services), naming it and the fix."""
    shown = str(path)
    if not path.is_file():
        raise ShipformError(shown, "FILE", "is not a file", None, "pass the path of a compose file, e.g. "
                            "docker-compose.yml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ShipformError(shown, "FILE", f"cannot be read ({err})", None, "pass a readable UTF-8 compose "
                            "file") from err
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ShipformError(shown, "FILE", f"is not valid YAML{where}", None, "fix the YAML, e.g. with "
                            "`docker compose config`") from err
    if not isinstance(data, dict):
        raise ShipformError(shown, "FILE", f"is not a compose file: its top level is a "
                            f"{type(data).__name__}, not a mapping", None, "pass a compose file (services: ...)")
    services = data.get("services")
    if not isinstance(services, dict) or not services:
        raise ShipformError(shown, "services", "is missing or empty: a compose file names its services there",
                            None, "pass a compose file with at least one service")
    check_services(shown, services)
    variables = Variables(_dotenv(path.parent))
    data = _interpolated(data, variables)
    named = isinstance(data.get("name"), str) and bool(data["name"])
    name = data["name"] if named else path.parent.resolve().name
    return ComposeFile(path, str(name), _services(data["services"], path.parent, variables),
                       _mapping(data.get("networks")), _mapping(data.get("volumes")), sorted(variables.unset), named)


def _dotenv(folder: Path) -> dict[str, str]:
    env = folder / ".env"
    return read_env_file(env) if env.is_file() else {}


def _interpolated(value: Any, variables: Variables) -> Any:
    """Every string value interpolated (keys are not, as in compose)."""
    if isinstance(value, str):
        return variables.interpolate(value)
    if isinstance(value, list):
        return [_interpolated(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _interpolated(v, variables) for k, v in value.items()}
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _services(raw: dict[Any, Any], folder: Path, variables: Variables) -> dict[str, dict[str, Any]]:
    services = {}
    for name, body in raw.items():
        body = dict(body) if isinstance(body, dict) else {}
        explicit = body.get("environment")
        body[EXPLICIT_ENV] = sorted(explicit if isinstance(explicit, dict) else
                                    [str(e).partition("=")[0] for e in explicit or []])
        body["environment"] = _environment(body, folder, variables)
        services[str(name)] = body
    return services


def _environment(service: Mapping[str, Any], folder: Path, variables: Variables) -> dict[str, str | None]:
    """env_file values first, then ``environment`` over them (compose's order); a name without a value (taken
    from the shell by compose) is None."""
    env: dict[str, str | None] = {}
    for entry in env_files(service):
        file = folder / entry
        if file.is_file():
            env.update(read_env_file(file, variables))
    environment = service.get("environment")
    if isinstance(environment, dict):
        env.update({str(k): None if v is None else scalar(v) for k, v in environment.items()})
    elif isinstance(environment, list):
        for item in environment:
            name, sep, value = str(item).partition("=")
            env[name.strip()] = value if sep else None
    return env


def env_files(service: Mapping[str, Any]) -> list[str]:
    """The env_file paths of a service (a string, a list of strings, or a list of {path, required})."""
    value = service.get("env_file")
    items = value if isinstance(value, list) else [value] if value is not None else []
    paths = [item.get("path") if isinstance(item, dict) else item for item in items]
    return [str(p) for p in paths if isinstance(p, str | int)]


def digits(text: str) -> bool:
    """ASCII digits only, at least one (str.isdigit also takes superscripts and other scripts' digits)."""
    return bool(text) and all(c in "0123456789" for c in text)


def scalar(value: Any) -> str:
    """A YAML scalar as compose passes it to a container: booleans as 'true'/'false', numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def words(value: Any) -> list[str]:
    """A command or entrypoint as an exec-form list: a list as it is, a string split as a shell would."""
    if isinstance(value, list):
        return [scalar(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return ["sh", "-c", value]
    return []


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """{service: condition} from the list form (condition service_started) or the mapping form."""
    value = service.get("depends_on")
    if isinstance(value, list):
        return {str(v): "service_started" for v in value}
    if isinstance(value, dict):
        return {str(k): str((v or {}).get("condition", "service_started")) if isinstance(v, dict | type(None))
                else "service_started" for k, v in value.items()}
    return {}


def links(service: Mapping[str, Any]) -> dict[str, str]:
    """{linked service: alias} from ``links: [db, "db:database"]``."""
    value = service.get("links")
    found = {}
    for item in value if isinstance(value, list) else []:
        target, _, alias = str(item).partition(":")
        found[target] = alias or target
    return found


def networks(service: Mapping[str, Any]) -> dict[str, list[str]]:
    """{network: its aliases for this service}; a service that names none is on 'default'."""
    value = service.get("networks")
    if isinstance(value, list):
        return {str(v): [] for v in value}
    if isinstance(value, dict):
        return {str(k): [str(a) for a in (v or {}).get("aliases", []) or []] if isinstance(v, dict | type(None))
                else [] for k, v in value.items()}
    return {"default": []}
