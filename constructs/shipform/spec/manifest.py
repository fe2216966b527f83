"""The one type of a Kubernetes object as shipform builds and passes it: a plain dict, dumped as it is."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

Manifest = dict[str, Any]
"""One Kubernetes object (apiVersion, kind, metadata, ...), in the key order it is written."""


class ObjectMeta(TypedDict):
    """The metadata shipform writes on the objects it builds: ``name`` always, ``namespace`` for namespaced kinds,
    its labels, and annotations only where there are some (an empty map is left out)."""

    name: str
    namespace: NotRequired[str]
    labels: NotRequired[dict[str, str]]
    annotations: NotRequired[dict[str, str]]
