"""A reference to one key of a Secret managed outside shipform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object


@value_object
@dataclass(frozen=True)
class SecretRef:
    """A reference to one key of a Secret managed outside shipform; the value never enters any output.

    In Kubernetes it is the key ``key`` of the Secret ``name``, mounted read-only as a file; in compose
    it is the local file ``secrets/<name>.<key>`` next to the compose file, which git ignores.
    """

    name: str
    """The Secret's name (in the namespace of the workload that reads it)."""
    key: str
    """The key of the Secret's data that holds the value."""
    prop_example: ClassVar[str] = "SecretRef('<secret>', '<key>')"

    def validate(self, path: str, prop: str) -> None:
        check_fields(path, prop, self)
        checks.subdomain_name(path, f"{prop}.name", self.name)
        if not isinstance(self.key, str) or not checks.matches(r"[-._a-zA-Z0-9]{1,253}", self.key):
            raise ShipformError(path, f"{prop}.key", "must be a Secret data key ([-._a-zA-Z0-9]+)", self.key,
                                "use the key as it appears in the Secret, e.g. 'password'")

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.key}"
