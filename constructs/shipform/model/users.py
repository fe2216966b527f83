"""The user each workload runs as: its ``run_as_user`` prop, else its service's (a migration), else the UID the
App assigns its name (:mod:`shipform.values.uids`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from shipform.values.uids import assign_uids

if TYPE_CHECKING:
    from shipform.model.members import WorkloadMember


class ServiceUsers:
    """An App's UIDs by service name: assigned over the services that take theirs from the App (every
    Environment's, by name), apart from the UIDs props set; again when a workload was added since (the App grows
    while the tree is built) or changed its user (``forget``)."""

    def __init__(self, app: str, workloads: Callable[[], Iterable[WorkloadMember]], count: Callable[[], int]):
        self.app, self.workloads, self.count = app, workloads, count
        self.assigned: tuple[int, dict[str, int]] | None = None

    def uid(self, service: str) -> int:
        count = self.count()
        if self.assigned is None or self.assigned[0] != count:
            found = list(self.workloads())
            derived = [w.name for w in found if w.explicit_user is None and w.uid_of is None]
            self.assigned = (count, assign_uids(self.app, derived, self._taken(found)))
        if service in self.assigned[1]:
            return self.assigned[1][service]
        # Asked while its construct is being built (not listed yet): never kept, the App is not complete.
        return assign_uids(self.app, [*self.assigned[1], service], self._taken(self.workloads()))[service]

    def forget(self) -> None:
        self.assigned = None

    @staticmethod
    def _taken(workloads: Iterable[WorkloadMember]) -> list[int]:
        return [w.explicit_user for w in workloads if w.explicit_user is not None]


class RunsAs:
    """What a workload runs as (mixed into Workload): the props given, else its service's, else its name's."""

    name: str
    explicit_user: int | None
    explicit_group: int | None
    _uid_of: RunsAs | None = None

    def service_users(self) -> ServiceUsers:
        """Its App's UIDs (the workload says where its App is)."""
        raise NotImplementedError

    @property
    def uid_of(self) -> RunsAs | None:
        """The workload whose user this one runs as (a migration: its service's code in its image), else None."""
        return self._uid_of

    @uid_of.setter
    def uid_of(self, owner: RunsAs | None) -> None:
        self._uid_of = owner
        self.service_users().forget()

    @property
    def run_as_user(self) -> int:
        if self.explicit_user is not None:
            return self.explicit_user
        if self._uid_of is not None:
            return self._uid_of.run_as_user
        return self.service_users().uid(self.name)

    @property
    def run_as_group(self) -> int:
        """``run_as_group`` when given, else its service's (when it takes its user), else its user's number."""
        if self.explicit_group is not None:
            return self.explicit_group
        if self._uid_of is not None and self.explicit_user is None:
            return self._uid_of.run_as_group
        return self.run_as_user
