"""How a new version replaces the running one."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from shipform.errors import ShipformError
from shipform.values.prop_types import check_fields

_PERCENT = re.compile(r"(100|[1-9]?[0-9])%")


@dataclass(frozen=True)
class Rolling:
    """A rolling update (Deployment ``RollingUpdate``). Default: one extra pod at a time and none unavailable, so
    the wanted count keeps serving throughout. Each is a number of pods or a percent of the replicas ('25%').

    A workload whose volume attaches to one node is replaced instead (``Recreate``): a surge pod elsewhere could
    not mount it.
    """

    max_surge: int | str = 1
    max_unavailable: int | str = 0
    prop_example: ClassVar[str] = "Rolling(max_surge=1, max_unavailable=0)"

    def validate(self, path: str) -> None:
        check_fields(path, "strategy", self)
        for prop in ("max_surge", "max_unavailable"):
            value = getattr(self, prop)
            if (isinstance(value, int) and not 0 <= value <= 1000) or (isinstance(value, str)
                                                                       and not _PERCENT.fullmatch(value)):
                raise ShipformError(path, f"strategy.{prop}", "must be a number of pods (0-1000) or a percent of "
                                    "the replicas", value, "write e.g. 1 or '25%'")
        if self.surge_pods(100) == 0 and self._unavailable_pods(100) == 0:
            raise ShipformError(path, "strategy", "lets no pod be added or removed, so a rollout could never start",
                                {"max_surge": self.max_surge, "max_unavailable": self.max_unavailable},
                                "allow at least one: max_surge=1 (the default) or max_unavailable=1")

    def surge_pods(self, replicas: int) -> int:
        """Extra pods a rollout may run at once (Kubernetes rounds a percent up)."""
        return _pods(self.max_surge, replicas, math.ceil)

    def _unavailable_pods(self, replicas: int) -> int:
        return _pods(self.max_unavailable, replicas, math.floor)


ONE_AT_A_TIME = Rolling()
"""The default rollout."""


def _pods(value: int | str, replicas: int, rounding: Callable[[float], int]) -> int:
    if isinstance(value, int):
        return value
    return rounding(replicas * int(value.rstrip("%")) / 100)
