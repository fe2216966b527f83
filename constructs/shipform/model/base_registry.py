"""``App(base_registry=...)``: where the generated Dockerfiles pull Docker Hub's images from, for teams whose
builds reach Docker Hub through a pull-through cache or mirror (an ECR pull-through cache, a Harbor proxy cache
project, a registry in proxy mode).

Docker names an image by its first path component: a registry host when it has a '.' or a ':' or is 'localhost',
else the image is on Docker Hub, where a one-component name is an official image under ``library/``. Such caches
serve Docker Hub's repositories under their own path with the same repository names, so ``python:3.12.8-slim``
becomes ``<mirror>/library/python:3.12.8-slim`` and ``bitnami/redis:7.4`` ``<mirror>/bitnami/redis:7.4``. Images of
other registries (gcr.io's distroless, ghcr.io's uv) stay: a cache serves one upstream registry, and which path
another registry's images would have under a team's mirror is no rule shipform can know."""

from __future__ import annotations

from shipform.errors import ShipformError
from shipform.values import checks

_EXAMPLE = "registry.acme.internal/dockerhub"
_DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")


def is_host(component: str) -> bool:
    """Docker's rule: a name's first component is a registry host when it has a '.' or a ':' or is 'localhost'."""
    return "." in component or ":" in component or component == "localhost"


def _split(image: str) -> tuple[str, str]:
    """(name, the rest: ':tag', '@digest' or both) of an image reference."""
    name, at, digest = image.partition("@")
    if ":" in name[name.rfind("/") + 1:]:
        name, tag = name.rsplit(":", 1)
        return name, f":{tag}{at}{digest}"
    return name, f"{at}{digest}"


def docker_hub_repository(image: str) -> str | None:
    """The Docker Hub repository of ``image`` (``library/python`` for ``python:3.12``), or None when the image is
    on another registry (or is ``scratch``, which nothing pulls)."""
    name = _split(image)[0]
    first, _, rest = name.partition("/")
    if rest and is_host(first):
        if first not in _DOCKER_HUB_HOSTS:
            return None
        name = rest
    if name == "scratch":
        return None
    return name if "/" in name else f"library/{name}"


def mirrored(image: str, mirror: str | None) -> str:
    """``image`` as pulled through ``mirror``: a Docker Hub image under the mirror's path, with its tag and digest;
    any other image (and every image without a mirror) as it is."""
    repository = docker_hub_repository(image) if mirror else None
    return image if repository is None else f"{mirror}/{repository}{_split(image)[1]}"


def check_base_registry(path: str, value: object) -> str | None:
    """The prop as given, or a ShipformError naming the app, the prop, the value and the fix."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or value.endswith("/") or "@" in value \
            or (":" in value.split("/")[-1] and "/" in value):
        raise ShipformError(path, "base_registry", "must be a registry host and path without a tag or digest", value,
                            f"write e.g. '{_EXAMPLE}'")
    if not is_host(value.split("/")[0]):
        raise ShipformError(path, "base_registry", "must start with a registry host (a name with a '.', a ':port', "
                            "or 'localhost'): docker reads any other first component as a Docker Hub namespace",
                            value, f"write e.g. '{_EXAMPLE}'")
    if not checks.is_image_name(f"{value}/library/python"):
        raise ShipformError(path, "base_registry", "must be a lowercase registry host and path", value,
                            f"write e.g. '{value.lower()}'" if value != value.lower() else f"write e.g. '{_EXAMPLE}'")
    if value.split("/")[0] in _DOCKER_HUB_HOSTS:
        raise ShipformError(path, "base_registry", "is Docker Hub itself, not a mirror of it", value,
                            "leave base_registry out to pull from Docker Hub, or name your mirror")
    return value
