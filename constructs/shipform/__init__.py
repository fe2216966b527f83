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
    "Worker": "shipform.worker",
    "Job": "shipform.job",
    "CronJob": "shipform.cron_job",
    "Migration": "shipform.migration",
    "SecureNamespace": "shipform.secure_namespace",
    "Quota": "shipform.secure_namespace",
    "Subject": "shipform.secure_namespace",
    "StatefulDB": "shipform.stateful_db",
    "Backup": "shipform.backup",
    "S3Target": "shipform.backup",
    "SecretStore": "shipform.secret_store",
}

__all__ = [
    "App",
    "Autoscale",
    "Backup",
    "Build",
    "CronJob",
    "Environment",
    "Health",
    "Job",
    "Migration",
    "Quota",
    "Resources",
    "S3Target",
    "SecretRef",
    "SecretStore",
    "SecureNamespace",
    "ShipformError",
    "ShipformErrors",
    "StatefulDB",
    "Subject",
    "WebService",
    "Worker",
    "__version__",
]

if TYPE_CHECKING:
    from shipform.app import App, Environment
    from shipform.backup import Backup, S3Target
    from shipform.build import Build
    from shipform.cron_job import CronJob
    from shipform.errors import ShipformError, ShipformErrors
    from shipform.health import Health
    from shipform.job import Job
    from shipform.migration import Migration
    from shipform.secret_store import SecretStore
    from shipform.secure_namespace import Quota, SecureNamespace, Subject
    from shipform.stateful_db import StatefulDB
    from shipform.values import Autoscale, Resources, SecretRef
    from shipform.web_service import WebService
    from shipform.worker import Worker


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shipform' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
