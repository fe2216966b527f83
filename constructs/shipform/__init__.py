"""shipform: describe a system once in Python; synthesize Dockerfiles, compose, Kubernetes YAML and CI.

The public names load lazily: importing cdk8s starts Node, which `shipform --help` must not do.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from shipform._node import configure_node

configure_node()

__version__ = "0.1.0"

_EXPORTS = {
    "App": "shipform.app",
    "Environment": "shipform.app",
    "Autoscale": "shipform.values",
    "Resources": "shipform.values",
    "SecretRef": "shipform.values",
    "Build": "shipform.build",
    "Health": "shipform.health",
    "ShipformError": "shipform.errors",
    "ShipformErrors": "shipform.errors",
    "WebService": "shipform.web_service",
}

__all__ = [
    "App",
    "Autoscale",
    "Build",
    "Environment",
    "Health",
    "Resources",
    "SecretRef",
    "ShipformError",
    "ShipformErrors",
    "WebService",
    "__version__",
]

if TYPE_CHECKING:
    from shipform.app import App, Environment
    from shipform.build import Build
    from shipform.errors import ShipformError, ShipformErrors
    from shipform.health import Health
    from shipform.values import Autoscale, Resources, SecretRef
    from shipform.web_service import WebService


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shipform' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
