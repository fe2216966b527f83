"""What an Environment asks of the constructs in it, as small protocols that shipform's constructs implement:
the Environment is the root of the tree and never imports them (they import it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, Self

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.objects import KubeObject
from shipform.model.quota import Counted


class Member(Protocol):
    """A shipform construct of an Environment (every ShipformConstruct is one)."""

    @property
    def path(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def name_prop(self) -> str: ...

    @property
    def namespace(self) -> str: ...

    @property
    def objects(self) -> Sequence[KubeObject]: ...

    @property
    def created_at(self) -> tuple[str, int] | None:
        """The user's file and line that created it."""

    @property
    def holds_workloads(self) -> bool:
        """True for a namespace (its objects are the namespace's own)."""

    @property
    def named_after(self) -> Member:
        """The construct whose id or name this one's name comes from."""

    def namespace_spec(self) -> spec.Namespace | None:
        """The namespace this construct declares, if it declares one."""

    def accepted_namespaces(self) -> tuple[str, ...]:
        """Namespaces whose workloads may connect to workloads in this construct's namespace."""

    def eventing_spec(self) -> spec.Broker | spec.EventSource | None:
        """The Knative Eventing object it declares (a Broker, an event source), if any."""

    def check(self) -> list[ShipformError]:
        """Every problem synth finds in this construct."""


class WorkloadMember(Member, Counted, Protocol):
    """A workload of an Environment (every Workload is one): what it connects to, and its spec given the
    workloads that connect to it."""

    @property
    def explicit_user(self) -> int | None:
        """The UID its ``run_as_user`` prop sets, else None (the App assigns one)."""

    @property
    def uid_of(self) -> object | None:
        """The workload whose user it runs as (a migration: its service), else None."""

    def targets(self) -> Sequence[object]:
        """The constructs it connects to."""

    def to_spec(self, clients: Sequence[Self] | None = None) -> spec.Workload:
        """Its spec; ``clients`` are the workloads that connect to it."""
