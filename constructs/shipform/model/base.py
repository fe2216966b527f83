"""What every shipform construct shares: its Environment, a readable path, a validated id, its namespace
and handles on the Kubernetes objects it contributes."""

from __future__ import annotations

from constructs import Construct

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.objects import KubeObject
from shipform.model.stage import EnvironmentBase
from shipform.values import checks


class ShipformConstruct(Construct):
    """Base of shipform's constructs. ``path`` reads ``<app>/<env>/.../<id>`` in every error message."""

    namespace: str
    """The namespace the construct's objects land in."""

    def __init__(self, scope: Construct, id: str):
        self.environment = EnvironmentBase.containing(scope)
        self.app = self.environment.app
        self.path = child_path(scope, id)
        checks.dns_label(self.path, "id", id)
        try:
            super().__init__(scope, id)
        except RuntimeError as err:  # the construct tree refuses a second child of the same id (one jsii call)
            if "There is already a Construct with name" not in str(err):
                raise
            raise ShipformError(self.path, "id", "is already used in this scope", id,
                                "give each construct a unique id") from None
        self.scope = scope
        """The construct this one was created in (siblings such as a migration Job go there too)."""
        self.name = id
        if not hasattr(self, "namespace"):
            self.namespace = namespace_of(scope, self.environment)
        self.objects: list[KubeObject] = []
        self.environment.members.append(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    def add_object(self, api_version: str, kind: str, name: str | None = None) -> KubeObject:
        obj = KubeObject(self.path, api_version, kind, name or self.name, self.namespace)
        self.objects.append(obj)
        return obj

    def namespace_spec(self) -> spec.Namespace | None:
        """The namespace this construct declares, if it declares one."""
        return None

    def accepted_namespaces(self) -> tuple[str, ...]:
        """Namespaces whose workloads may connect to workloads in this construct's namespace."""
        return ()

    def validate(self) -> list[ShipformError]:
        """Checks that need the whole tree; synth runs them all and reports every error at once."""
        return []

    def check(self) -> list[ShipformError]:
        """Every problem synth finds in this construct: its own checks and its objects' names."""
        return [*(e for o in self.objects if (e := name_error(self.path, o)) is not None), *self.validate()]


# The API server's name rules where they are stricter than a DNS subdomain: Services are DNS-1035 labels
# (they start with a letter); Jobs name their pods' job-name label; CronJobs add an 11-character suffix
# to the Jobs they create, StatefulSets a 10-character revision hash to a label (so 52 is their limit).
_NAME_RULES = {"Service": (63, True), "Job": (63, False), "CronJob": (52, False), "StatefulSet": (52, False),
               "Namespace": (63, False)}


def name_error(path: str, obj: KubeObject) -> ShipformError | None:
    limit, letter_first = _NAME_RULES.get(obj.kind, (253, False))
    ok = checks.is_dns_label(obj.name, limit) if obj.kind in _NAME_RULES else checks.is_dns_subdomain(obj.name)
    if ok and not (letter_first and not obj.name[0].isalpha()):
        return None
    rule = f"at most {limit} characters" + (", starting with a letter" if letter_first else "")
    return ShipformError(path, "id", f"gives the {obj.kind} the name '{obj.name}', but {obj.kind} names must be "
                         f"DNS labels of {rule}", path.rsplit("/", 1)[-1],
                         "choose a shorter id" + (" that starts with a letter" if letter_first else ""))


def child_path(scope: Construct, id: str) -> str:
    """The path a construct with ``id`` will have under ``scope``, for errors raised before it exists."""
    if isinstance(scope, ShipformConstruct | EnvironmentBase):
        return f"{scope.path}/{id}"
    environment = EnvironmentBase.containing(scope)
    return f"{environment.app.name}/{scope.node.path}/{id}"


def namespace_of(scope: Construct, environment: EnvironmentBase) -> str:
    """The namespace of the nearest shipform construct above ``scope``, else the Environment's default.
    Shipform constructs and Environments answer without a jsii round trip."""
    if isinstance(scope, ShipformConstruct):
        return scope.namespace
    if isinstance(scope, EnvironmentBase):
        return scope.default_namespace
    for ancestor in reversed(scope.node.scopes):
        if isinstance(ancestor, ShipformConstruct):
            return ancestor.namespace
    return environment.default_namespace
