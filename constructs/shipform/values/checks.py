"""Checks of plain prop values by the rules the real systems apply. Each takes the construct path, the prop
and the raw value, and returns the typed value or raises a ShipformError that names the fix."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import TypeGuard, TypeVar

from shipform.errors import ShipformError

T = TypeVar("T")


def is_stated_reason(value: object, commas: bool = True) -> TypeGuard[str]:
    """A reason a reader of the output (and the scanners' accepted risks) can take: one line of at least 10
    characters; without ',' where it ends up in a comma-separated list (checkov's skip annotations)."""
    return (isinstance(value, str) and len(value.strip()) >= 10 and "\n" not in value
            and (commas or "," not in value))


def exact(pattern: re.Pattern[str] | str, value: object) -> re.Match[str] | None:
    """The match of the whole of ``value`` (a str) against ``pattern``, or None: the one way values are matched.
    ``re.match`` with a trailing ``$`` would also take a value that ends in a newline."""
    return re.fullmatch(pattern, value) if isinstance(value, str) else None


def matches(pattern: re.Pattern[str] | str, value: object) -> bool:
    """Whether the whole of ``value`` (a str) matches ``pattern`` (see :func:`exact`)."""
    return exact(pattern, value) is not None


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# name[:tag][@sha256:digest]; the name may start with a registry host with a port, which a '/' must follow
# (as in Docker's reference grammar), so 'redis:7' is the tag 7 and not the port 7.
_IMAGE = re.compile(
    r"(?P<name>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?::[0-9]+(?=/))?(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?"
)
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_SQL_NAME = re.compile(r"[a-z_][a-z0-9_-]*")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_GO_DURATION = re.compile(r"(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)")
# Names that say "this is a credential": their values must arrive by reference.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|_KEY$|^KEY$|CREDENTIAL|PRIVATE)", re.IGNORECASE)
# Text that is a credential whatever it is called: what it looks like, by the formats' published shapes.
_SECRET_SHAPES = (
    ("a private key", re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    # The scheme's length is bounded: on a long run of letters an unbounded one backtracks quadratically. A password
    # that is a variable ($VAR, ${VAR}, $(VAR)) is a reference, expanded where it runs, not a literal.
    ("a URL with a password",
     re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^/\s:@]{1,256}:(?!\$)[^/\s@]{1,256}@", re.IGNORECASE)),
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("a GitLab token", re.compile(r"\bgl(pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
)


def secret_shape(text: str) -> str | None:
    """What ``text`` contains that is a credential by its shape ('a private key', ...), or None."""
    return next((what for what, shape in _SECRET_SHAPES if shape.search(text)), None)


def url_credentials(path: str, prop: str, url: str, fix: str) -> str:
    """A URL without credentials: no user or password before the host (bar an ssh:// user name, which is no
    secret) and nothing shaped like a token anywhere in it; the value shown has them cut out."""
    scheme, separator, rest = url.partition("://")
    authority = rest.split("/", 1)[0] if separator else ""
    user, at, host = authority.rpartition("@")
    if at and (scheme != "ssh" or ":" in user):
        raise ShipformError(path, prop, "holds credentials before the host; they would be written verbatim into "
                            "generated files", f"{scheme}://<redacted>@{host}/...", fix)
    shape = secret_shape(url)
    if shape is not None:
        raise ShipformError(path, prop, f"contains {shape}; it would be written verbatim into generated files",
                            "<redacted>", fix)
    return url


def dns_label(path: str, prop: str, value: object, max_len: int = 63) -> str:
    """A Kubernetes object name that is also a DNS label (RFC 1123)."""
    if not isinstance(value, str) or not is_dns_label(value, max_len):
        raise ShipformError(
            path, prop, f"must be a DNS label (lowercase letters, digits and '-', at most {max_len})",
            value, "use a name like 'api' or 'order-worker'",
        )
    return value


def dns_name(path: str, prop: str, value: object) -> str:
    """A DNS host name such as 'shop.example.com' (labels of at most 63, 253 in all)."""
    if not is_dns_name(value):
        raise ShipformError(path, prop, "must be a lowercase DNS name", value, "use a name like 'shop.example.com'")
    assert isinstance(value, str)
    return value


def is_dns_name(value: object) -> bool:
    return is_dns_subdomain(value) and all(len(label) <= 63 for label in str(value).split("."))


def subdomain_name(path: str, prop: str, value: object, example: str = "app-secrets") -> str:
    """The name of an object Kubernetes identifies by a DNS subdomain (Secrets, StorageClasses, issuers)."""
    if not is_dns_subdomain(value):
        raise ShipformError(path, prop, "must be a Kubernetes object name (lowercase letters, digits, '-' and '.', "
                            "at most 253)", value, f"use a name like '{example}'")
    assert isinstance(value, str)
    return value


def is_dns_subdomain(value: object) -> bool:
    """The API server's rule for most object names (it does not limit the length of each label)."""
    return isinstance(value, str) and len(value) <= 253 and matches(_DNS_NAME, value)


def is_dns_label(value: object, max_len: int = 63) -> bool:
    return isinstance(value, str) and len(value) <= max_len and matches(_DNS_LABEL, value)


_PLAIN_PATH = re.compile(r"(/[A-Za-z0-9._-]+)+")


def is_plain_path(value: object) -> bool:
    """An absolute path of letters, digits, '.', '_' and '-' without '.' or '..' parts (a mount point, a key)."""
    return isinstance(value, str) and matches(_PLAIN_PATH, value) and \
        not any(part in (".", "..") for part in value.split("/"))


KERNEL_FOLDERS = ("proc", "sys")
"""Where every container has the kernel's own file systems (procfs, sysfs)."""


def mount_point(path: str, prop: str, value: str) -> str:
    """A path the container mounts something at (a file, a volume, a writable folder): not inside /proc or
    /sys. runc refuses a mount inside /proc, and one inside /sys would hide the kernel's view."""
    parts = [part for part in value.split("/") if part not in ("", ".")]
    if parts and parts[0] in KERNEL_FOLDERS:
        raise ShipformError(path, prop, f"is inside /{parts[0]}, where every container has the kernel's own file "
                            "system (runc refuses mounts inside /proc; one inside /sys would hide the kernel's view)",
                            value, "mount it elsewhere, e.g. under /etc/<app>, /var/lib/<app> or /srv")
    return value


def cidr(path: str, prop: str, value: object, example: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An address range in CIDR notation without host bits."""
    try:
        return ipaddress.ip_network(value, strict=True)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ShipformError(path, prop, "must be an address range in CIDR notation, without host bits", value,
                            f"write e.g. {example}") from None


def is_label_map(value: object) -> bool:
    """Label keys to label values, as node selectors and pod selectors take them."""
    return isinstance(value, dict) and all(is_qualified_name(k) and is_label_value(v) for k, v in value.items())


def pod_labels(path: str, prop: str, value: object, example: str, also: str = "") -> tuple[tuple[str, str], ...]:
    """A non-empty label map that picks out some pods (a controller's, Prometheus', a collector's), as sorted
    pairs; ``also`` completes the problem's wording (e.g. ' (or be None)')."""
    labels = dict(value) if isinstance(value, Mapping) else value
    if not labels or not is_label_map(labels):
        raise ShipformError(path, prop, f"must map label keys to label values{also}", labels, f"write e.g. {example}")
    assert isinstance(labels, dict)
    return tuple(sorted(labels.items()))


_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def is_qualified_name(value: object) -> bool:
    """A label or annotation key: an optional DNS subdomain prefix and '/', then at most 63 of [A-Za-z0-9_.-],
    alphanumeric at both ends."""
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    return matches(_QUALIFIED_NAME, name) and (not slash or (is_dns_subdomain(prefix) and "/" not in prefix))


def is_label_value(value: object) -> bool:
    """The API server's rule for label values: at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends."""
    return isinstance(value, str) and len(value) <= 63 and matches(_LABEL_VALUE, value)


def port(path: str, prop: str, value: object) -> int:
    """A TCP port number."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ShipformError(path, prop, "must be 1-65535", value, "pass the TCP port the process listens on")
    return value


INT32_MAX = 2**31 - 1
"""The API server stores replicas, deadlines, UIDs and most counts as int32."""


_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*(?<!-)")


def port_name(path: str, prop: str, value: object) -> str:
    """A container port name (IANA_SVC_NAME): at most 15 lowercase letters, digits and single '-', with a
    letter, not starting or ending with '-'."""
    if not isinstance(value, str) or len(value) > 15 or not matches(_PORT_NAME, value):
        raise ShipformError(path, prop, "names must be at most 15 lowercase letters, digits and '-', with at least "
                            "one letter (the API server's port name rule)", value, "write e.g. 'http' or 'grpc'")
    return value


def positive_int(path: str, prop: str, value: object, minimum: int = 1, maximum: int = INT32_MAX) -> int:
    """A whole number in [minimum, maximum]; the default maximum is the API server's int32 limit."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ShipformError(path, prop, f"must be a whole number from {minimum} to {maximum}", value,
                            f"pass a whole number from {minimum} to {maximum}")
    return value


def kubectl_version(path: str, prop: str, value: object) -> str:
    """An exact kubectl release such as 'v1.33.6'."""
    if not isinstance(value, str) or not matches(r"v1\.[0-9]+\.[0-9]+", value):
        raise ShipformError(path, prop, "must be an exact kubectl release like 'v1.33.6'", value,
                            "pin the kubectl that matches the cluster's minor version")
    return value


def go_duration(path: str, prop: str, value: object) -> str:
    """A Go duration such as '1h', '90s' or '1h30m' (what Kubernetes controllers parse)."""
    if not isinstance(value, str) or not matches(_GO_DURATION, value):
        raise ShipformError(path, prop, "must be a Go duration", value,
                            "write a number and unit (ns, us, ms, s, m, h), e.g. '1h' or '15m30s'")
    return value


def sql_name(path: str, prop: str, value: object, max_len: int = 63) -> str:
    """A database or user name every engine takes unquoted in its images' set-up scripts."""
    if not isinstance(value, str) or len(value) > max_len or not matches(_SQL_NAME, value):
        raise ShipformError(path, prop, f"must be lowercase letters, digits, '_' and '-', starting with a letter or "
                            f"'_', at most {max_len}", value, "use a name like 'shop' or 'order_db'")
    return value


def env_name(path: str, prop: str, value: object) -> str:
    if not isinstance(value, str) or not matches(_ENV_NAME, value):
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
    m = exact(_IMAGE, value)
    if m is None:
        raise ShipformError(path, prop, "must be an image reference 'name:tag' or 'name@sha256:...'", value,
                            "write e.g. 'nginx:1.27.3'")
    if m["digest"] is None and (m["tag"] is None or m["tag"] == "latest"):
        raise ShipformError(path, prop, "must pin a version tag other than 'latest' (or a digest)", value,
                            f"write e.g. '{m['name']}:1.2.3' or '{m['name']}@sha256:<digest>'")
    return m.string


def is_image_name(value: str) -> bool:
    """A repository name as registries accept it: lowercase path components, an optional host:port."""
    m = exact(_IMAGE, value)
    return m is not None and m["tag"] is None and m["digest"] is None


_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def is_tagged_image(value: object) -> bool:
    """``name:tag`` without a digest, the name as registries accept it (an optional host:port first)."""
    if not isinstance(value, str) or "@" in value or ":" not in value[value.rfind("/") + 1:]:
        return False
    name, tag = value.rsplit(":", 1)
    return is_image_name(name) and matches(_TAG, tag)


def digest(path: str, prop: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not matches(DIGEST, value):
        raise ShipformError(path, prop, "must be 'sha256:' followed by 64 hex digits", value,
                            "copy the digest from `docker buildx imagetools inspect IMAGE`")
    return value


def is_workflow_text(value: str) -> bool:
    """Whether ``value`` may be written into a GitHub Actions workflow as it is: GitHub evaluates ``${{ }}``
    anywhere in a workflow (run scripts, step names, inputs, the build matrix) and nothing escapes it, and a
    control character breaks the line it is on."""
    return "${{" not in value and value.isprintable()


def workflow_text(path: str, prop: str, value: str, fix: str) -> str:
    """A value the workflows name (a build context, a Dockerfile): refused unless :func:`is_workflow_text`."""
    if not is_workflow_text(value):
        raise ShipformError(path, prop, "would be evaluated by GitHub Actions in the workflows (it holds '${{' or "
                            "a control character)", value, fix)
    return value


def one_of(path: str, prop: str, value: object, choices: tuple[T, ...]) -> T:
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
    raise ShipformError(path, prop, f"must be one of {', '.join(map(str, choices))}", value,
                        f"pick one of {choices}")
