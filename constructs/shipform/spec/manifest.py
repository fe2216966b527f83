"""The one type of a Kubernetes object as shipform builds and passes it: a plain dict, dumped as it is."""

from __future__ import annotations

from typing import Any

Manifest = dict[str, Any]
"""One Kubernetes object (apiVersion, kind, metadata, ...), in the key order it is written."""
