"""What a NodeAgent is given about the nodes it runs on: taints it tolerates and host folders it mounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


@value_object
@dataclass(frozen=True)
class Toleration:
    """A taint the agent's pods tolerate: ``Toleration("node-role.kubernetes.io/control-plane")`` (any value),
    ``Toleration("dedicated", value="gpu", effect="NoSchedule")``, or ``Toleration.everything()``.

    :param key: Default: None (every taint). The taint's key ('[prefix/]name').
    :param value: Default: None (any value: operator Exists). The taint's value, with a ``key`` (operator Equal).
    :param effect: Default: None (every effect). 'NoSchedule', 'PreferNoSchedule' or 'NoExecute'."""

    key: str | None = None
    value: str | None = None
    effect: TaintEffect | None = None
    prop_example: ClassVar[str] = "Toleration('node-role.kubernetes.io/control-plane')"

    @classmethod
    def everything(cls) -> Toleration:
        """Every taint: the agent runs on every node, cordoned and control-plane nodes included."""
        return cls()

    def validate(self, path: str, prop: str) -> tuple[tuple[str, str], ...]:
        check_fields(path, prop, self)
        if self.key is not None and not checks.is_qualified_name(self.key):
            raise ShipformError(path, f"{prop}.key", "must be a taint key ('[prefix/]name')", self.key,
                                "write e.g. 'node-role.kubernetes.io/control-plane'")
        if self.value is not None and (self.key is None or not checks.is_label_value(self.value)):
            raise ShipformError(path, f"{prop}.value", "needs a key, and must be a label value", self.value,
                                "write e.g. Toleration('dedicated', value='gpu')")
        fields = {"operator": "Equal" if self.value is not None else "Exists"}
        for name in ("key", "value", "effect"):
            if getattr(self, name) is not None:
                fields[name] = getattr(self, name)
        return tuple(sorted(fields.items()))


@value_object
@dataclass(frozen=True)
class HostPath:
    """A folder of the node, mounted into the agent: read-only unless ``writable=True``, which needs its ``reason``
    (``HostPath('/var/lib/agent', writable=True, reason='keeps its read positions across restarts')``). Needs a
    SecureNamespace with ``host_access=<why>``.

    :param path: the node's folder, mounted at the path ``host_paths`` names it by.
    :param writable: Default: False (read-only). True lets the agent write there, with its ``reason``."""

    path: str
    writable: bool = False
    reason: str | None = None
    """Required with writable=True, refused without: why the agent writes the node's folder, in one line without
    ','; stated for trivy with the hostPath finding (KSV-0023)."""
    prop_example: ClassVar[str] = "HostPath('/var/log')"

    def validate(self, path: str, prop: str) -> None:
        """Its fields' types, and a reason exactly where it is writable."""
        check_fields(path, prop, self)
        if self.writable and self.reason is None:
            raise ShipformError(path, f"{prop}.writable", "lets the agent change the node's files there, which "
                                "needs a reason", self.path, f"pass HostPath('{self.path}', writable=True, "
                                "reason='<why the agent writes there>'), or leave writable out to mount it read-only")
        if self.reason is not None and not self.writable:
            raise ShipformError(path, f"{prop}.reason", "is given for a read-only folder, which needs none",
                                self.reason, "drop reason=, or pass writable=True if the agent writes there")
        if self.reason is not None and not checks.is_stated_reason(self.reason, commas=False):
            raise ShipformError(path, f"{prop}.reason", "must say why, in one line without ','", self.reason,
                                "write e.g. 'keeps its read positions across restarts'")
