"""Checks of plain prop values by the rules the real systems apply. Each takes the construct path, the prop
and the raw value, and returns the typed value or raises a ShipformError that names the fix."""

from __future__ import annotations

import re
from typing import TypeVar

from shipform.errors import ShipformError

T = TypeVar("T")

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# name[:tag][@sha256:digest]; the name may carry a registry host with a port.
_IMAGE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
# Names that say "this is a credential": their values must arrive by reference.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|_KEY$|^KEY$|CREDENTIAL|PRIVATE)", re.IGNORECASE)


def dns_label(path: str, prop: str, value: object, max_len: int = 63) -> str:
    """A Kubernetes object name that is also a DNS label (RFC 1123)."""
    if not isinstance(value, str) or len(value) > max_len or not _DNS_LABEL.match(value):
        raise ShipformError(
            path, prop, f"must be a DNS label (lowercase letters, digits and '-', at most {max_len})",
            value, "use a name like 'api' or 'order-worker'",
        )
    return value


def dns_name(path: str, prop: str, value: object) -> str:
    """A DNS host name such as 'shop.example.com'."""
    if not isinstance(value, str) or len(value) > 253 or not _DNS_NAME.match(value):
        raise ShipformError(path, prop, "must be a lowercase DNS name", value, "use a name like 'shop.example.com'")
    return value


def port(path: str, prop: str, value: object) -> int:
    """A TCP port number."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ShipformError(path, prop, "must be 1-65535", value, "pass the TCP port the process listens on")
    return value


def positive_int(path: str, prop: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ShipformError(path, prop, f"must be an integer >= {minimum}", value, f"pass a whole number >= {minimum}")
    return value


def env_name(path: str, prop: str, value: object) -> str:
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ShipformError(
            path, prop, "keys must be environment variable names ([A-Za-z_][A-Za-z0-9_]*)", value,
            "rename the variable, e.g. 'LOG_LEVEL'",
        )
    return value


def command(path: str, prop: str, value: object) -> list[str]:
    """An exec-form command: a non-empty list of strings (no shell parsing anywhere)."""
    if not isinstance(value, list | tuple) or not value or not all(isinstance(a, str) and a for a in value):
        raise ShipformError(
            path, prop, "must be a non-empty list of non-empty strings (exec form)", value,
            "write it as a list, e.g. ['gunicorn', 'app:app']",
        )
    return list(value)


def image_ref(path: str, prop: str, value: object) -> str:
    """A pinned image reference: an explicit tag other than 'latest', or a digest."""
    m = _IMAGE.match(value) if isinstance(value, str) else None
    if m is None:
        raise ShipformError(path, prop, "must be an image reference 'name:tag' or 'name@sha256:...'", value,
                            "write e.g. 'nginx:1.27.3'")
    if m["digest"] is None and (m["tag"] is None or m["tag"] == "latest"):
        raise ShipformError(path, prop, "must pin a version tag other than 'latest' (or a digest)", value,
                            f"write e.g. '{m['name']}:1.2.3' or '{m['name']}@sha256:<digest>'")
    return m.string


def digest(path: str, prop: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DIGEST.match(value):
        raise ShipformError(path, prop, "must be 'sha256:' followed by 64 hex digits", value,
                            "copy the digest from `docker buildx imagetools inspect IMAGE`")
    return value


def one_of(path: str, prop: str, value: object, choices: tuple[T, ...]) -> T:
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
    raise ShipformError(path, prop, f"must be one of {', '.join(map(str, choices))}", value,
                        f"pick one of {choices}")
