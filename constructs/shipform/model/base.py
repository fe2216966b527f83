"""What every shipform construct shares: its Environment, a readable path, a validated id, a name, its
namespace and handles on the Kubernetes objects it contributes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from constructs import Construct

from shipform import spec
from shipform.errors import InvalidApp, ShipformError
from shipform.model.construction import Constructing, used_broken
from shipform.model.members import Member
from shipform.model.objects import KubeObject
from shipform.model.stage import App, Environment
from shipform.spec.plan import ObjectKey
from shipform.values import checks


class ShipformConstruct(Construct, metaclass=Constructing):
    """Base of shipform's constructs. ``path`` reads ``<app>/<env>/.../<id>`` in every error message."""

    created_at: tuple[str, int] | None = None
    """The user's file and line that created the construct (see model/construction.py)."""
    broken: InvalidApp | None = None
    """The error that stopped the constructor while errors are collected: the construct is then in no check."""

    namespace: str
    """The namespace the construct's objects land in."""
    holds_workloads: ClassVar[bool] = False
    """True for a namespace: constructs created directly inside it are named by their id alone."""
    name_limit: ClassVar[int] = 63
    """The longest name every object the construct makes accepts (with the suffixes it adds): a name derived
    from a nested path is shortened to it."""

    def __init__(self, scope: Construct, id: str, name: str | None = None):
        self.environment = environment_of(scope, id)
        self.app = self.environment.app
        self.path = child_path(scope, id)
        checks.dns_label(self.path, "id", id)
        if name is not None:
            checks.dns_label(self.path, "name", name)
        try:
            super().__init__(scope, id)
        except RuntimeError as err:  # the construct tree refuses a second child of the same id (one jsii call)
            if "There is already a Construct with name" not in str(err):
                raise
            raise ShipformError(self.path, "id", "is already used in this scope", id,
                                "give each construct a unique id") from None
        self.scope = scope
        """The construct this one was created in (siblings such as a migration Job go there too)."""
        self.id = id
        self.name = name if name is not None else path_name(scope, id, self.name_limit)
        """The name of every object, compose service, network and env var prefix of the construct."""
        self.name_prop = "name" if name is not None else "id"
        self.named_after: ShipformConstruct = self
        """The construct whose id or name this one's name comes from (a migration's service, a backup's database)."""
        if not hasattr(self, "namespace"):
            self.namespace = namespace_of(scope, self.environment)
        self.objects: list[KubeObject] = []
        self.environment.members.append(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self).get('path', '?')!r})"

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute of every construct
        def __getattr__(self, name: str) -> Any:
            """Only reached for an attribute the construct lacks: a broken one says why it lacks it."""
            if vars(self).get("broken") is None or name.startswith("__"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            raise used_broken(self, name)

    def handle(self, role: str) -> KubeObject:
        """A handle on the construct's object of ``role`` (see render.plan for the roles); which object that is,
        and whether there is one, is decided at synth time."""
        obj = KubeObject(self.path, role)
        self.objects.append(obj)
        return obj

    def namespace_spec(self) -> spec.Namespace | None:
        """The namespace this construct declares, if it declares one."""
        return None

    def accepted_namespaces(self) -> tuple[str, ...]:
        """Namespaces whose workloads may connect to workloads in this construct's namespace."""
        return ()

    def eventing_spec(self) -> spec.Broker | spec.EventSource | None:
        """The Knative Eventing object this construct declares (a Broker, an event source), if it declares one."""
        return None

    def validate(self) -> list[ShipformError]:
        """Checks that need the whole tree; synth runs them all and reports every error at once."""
        return []

    def check(self) -> list[ShipformError]:
        """Every problem synth finds in this construct before its spec is made (its objects' names are checked
        once they are planned: see name_error)."""
        return self.validate()


# The API server's name rules where they are stricter than a DNS subdomain: Services are DNS-1035 labels
# (they start with a letter); Jobs name their pods' job-name label; CronJobs add an 11-character suffix
# to the Jobs they create, StatefulSets a 10-character revision hash to a label (so 52 is their limit).
_NAME_RULES = {"Service": (63, True), "Job": (63, False), "CronJob": (52, False), "StatefulSet": (52, False),
               "Namespace": (63, False)}


def name_error(construct: Member, obj: ObjectKey) -> ShipformError | None:
    """The API server's objection to the name of an object planned for ``construct``, if it has one."""
    owner = construct.named_after
    limit, letter_first = _NAME_RULES.get(obj.kind, (253, False))
    ok = checks.is_dns_label(obj.name, limit) if obj.kind in _NAME_RULES else checks.is_dns_subdomain(obj.name)
    if ok and not (letter_first and not obj.name[0].isalpha()):
        return None
    rule = f"at most {limit} characters" + (", starting with a letter" if letter_first else "")
    fix = f"choose a shorter {owner.name_prop}" + (" that starts with a letter" if letter_first else "")
    if owner.name_prop == "id" and owner.name != owner.id:  # named from its path: any id on it may be at fault
        fix = f"pass name='...' or choose ids that make a name {rule}"
    return ShipformError(owner.path, owner.name_prop, f"gives the {obj.kind} the name '{obj.name}', but {obj.kind} "
                         f"names must be DNS labels of {rule}", owner.id if owner.name_prop == "id" else owner.name,
                         fix)


def path_name(scope: Construct, id: str, limit: int) -> str:
    """The name of a construct created with ``id`` under ``scope``: its id when created directly in a namespace
    or an Environment; inside a composite (a plain ``Construct`` such as ``orders``), its path below the
    namespace joined with '-' (``orders-api``), lower-cased to a DNS label and, when longer than ``limit``, cut
    and ended with 8 hex characters of the path's SHA-256, so names stay unique and stable (the way cdk8s's
    ``Names.toDnsLabel`` shortens)."""
    parts = _parts_below_namespace(scope, id)
    if len(parts) == 1:
        return id
    label = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    if len(label) <= limit:
        return label
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()[:8]
    return f"{label[:limit - len(digest) - 1].rstrip('-')}-{digest}"


def _parts_below_namespace(scope: Construct, id: str) -> list[str]:
    if isinstance(scope, Environment) or (isinstance(scope, ShipformConstruct) and scope.holds_workloads):
        return [id]
    if isinstance(scope, ShipformConstruct):
        return [scope.name, id]
    chain = scope.node.scopes  # from the root down to ``scope``: one jsii call, then the composites' ids
    top = max(i for i, c in enumerate(chain) if isinstance(c, Environment | ShipformConstruct))
    above = chain[top]
    prefix = [above.name] if isinstance(above, ShipformConstruct) and not above.holds_workloads else []
    return [*prefix, *(c.node.id for c in chain[top + 1:]), id]


def child_path(scope: Construct, id: str) -> str:
    """The path a construct with ``id`` will have under ``scope``, for errors raised before it exists."""
    if isinstance(scope, ShipformConstruct | Environment):
        return f"{scope.path}/{id}"
    environment = environment_of(scope, id)
    return f"{environment.app.name}/{scope.node.path}/{id}"


def environment_of(scope: Construct, id: str) -> Environment:
    """The Environment a construct created with ``id`` under ``scope`` lands in; the error names the construct
    when ``scope`` is the App itself or a construct outside every Environment."""
    try:
        return Environment.containing(scope)
    except ShipformError:
        pass
    if isinstance(scope, App):
        path, where = f"{scope.name}/{id}", f"the App '{scope.name}'"
    else:
        root = scope.node.root
        app = f"{root.name}/" if isinstance(root, App) else ""
        path, where = f"{app}{scope.node.path}/{id}", f"'{scope.node.path}', which is outside every Environment"
    raise ShipformError(path, "scope", f"must be an Environment or a construct inside one, but '{id}' is created in "
                        f"{where}", None, f"create '{id}' inside an Environment, e.g. with Environment(app, 'dev') as "
                        "its scope, or in a construct within one") from None


def namespace_of(scope: Construct, environment: Environment) -> str:
    """The namespace of the nearest shipform construct above ``scope``, else the Environment's default.
    Shipform constructs and Environments answer without a jsii round trip."""
    if isinstance(scope, ShipformConstruct):
        return scope.namespace
    if isinstance(scope, Environment):
        return scope.default_namespace
    for ancestor in reversed(scope.node.scopes):
        if isinstance(ancestor, ShipformConstruct):
            return ancestor.namespace
    return environment.default_namespace


def clash_errors(owned: Sequence[tuple[Member, tuple[ObjectKey, ...]]]) -> list[ShipformError]:
    """Two constructs of one Environment that would make the same object (kind, namespace and name), given the
    objects planned for each: one error per pair, naming both construct paths."""
    first: dict[tuple[str, str, str], Member] = {}
    errors: dict[tuple[str, str], ShipformError] = {}
    for member, keys in owned:
        for obj in keys:
            other = first.setdefault(obj.key, member)
            if other is member or (other.path, member.path) in errors:
                continue
            kind, namespace, name = obj.key
            where = f"'{namespace}/{name}'" if namespace else f"'{name}'"
            value = member.id if member.name_prop == "id" else member.name
            errors[(other.path, member.path)] = ShipformError(
                member.path, member.name_prop, f"gives the {kind} {where}, as {other.path} does", value,
                f"pass name='...' to one of them, or give one another {member.name_prop}")
    return list(errors.values())
