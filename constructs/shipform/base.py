"""What every shipform construct shares: its Environment, a readable path, a validated id and the
Kubernetes objects it contributes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from constructs import Construct

from shipform import props
from shipform.app import Environment
from shipform.errors import ShipformError
from shipform.outputs.objects import K8sObject


class ShipformConstruct(Construct):
    """Base of shipform's constructs. ``path`` reads ``<app>/<env>/.../<id>`` in every error message."""

    def __init__(self, scope: Construct, id: str):
        self.environment = Environment.of(scope)
        self.app = self.environment.app
        self.path = child_path(scope, id)
        props.dns_label(self.path, "id", id)
        if scope.node.try_find_child(id) is not None:
            raise ShipformError(self.path, "id", "is already used in this scope", id, "give each construct a unique id")
        super().__init__(scope, id)
        self.name = id
        self.namespace = namespace_of(scope, self.environment)
        self.k8s_objects: list[K8sObject] = []
        self.environment.members.append(self)

    def add_object(self, api_version: str, kind: str, build: Callable[[], dict[str, Any]],
                   name: str | None = None) -> K8sObject:
        obj = K8sObject(self.path, api_version, kind, name or self.name, self.namespace, build)
        self.k8s_objects.append(obj)
        return obj

    def validate(self) -> list[ShipformError]:
        """Checks that need the whole tree; synth runs them all and reports every error at once."""
        return []


def child_path(scope: Construct, id: str) -> str:
    """The path a construct with ``id`` will have under ``scope``, for errors raised before it exists."""
    return f"{_path_of(scope, Environment.of(scope))}/{id}"


def namespace_of(scope: Construct, environment: Environment) -> str:
    """The namespace of the nearest SecureNamespace above ``scope``, else the Environment's default."""
    own = getattr(scope, "namespace_name", None)
    if own:
        return own
    if scope is environment or getattr(scope, "environment", None) is environment:
        return getattr(scope, "namespace", None) or environment.default_namespace  # no jsii round trip
    for ancestor in reversed(scope.node.scopes):
        found = getattr(ancestor, "namespace_name", None)
        if found:
            return found
    return environment.default_namespace


def _path_of(scope: Construct, environment: Environment) -> str:
    own = getattr(scope, "path", None)
    if isinstance(own, str):
        return own
    return f"{environment.app.name}/{scope.node.path}"
