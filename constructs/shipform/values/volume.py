"""Data a WebService or Worker keeps at a path: ``Volume`` (persistent) and ``Scratch`` (as long as the pod)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.quantity import Memory
from shipform.values.value_object import value_object

AccessMode = Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]


@value_object
@dataclass(frozen=True)
class Volume:
    """Persistent data at the path it is mounted at: a PersistentVolumeClaim ``<id>-<volume>`` in Kubernetes
    (counted by the namespace's quota), a named volume in compose. ReadWriteOnce and ReadWriteOncePod volumes
    attach to one node, so they allow one replica (the Deployment then replaces its pod instead of surging);
    ReadWriteMany needs a ``storage_class`` that provides it."""

    size: str = "1Gi"
    """Default: '1Gi'. The claim's storage request."""
    access_mode: AccessMode = "ReadWriteOnce"
    """Default: 'ReadWriteOnce'."""
    storage_class: str | None = None
    """Default: None (the cluster's default StorageClass)."""
    prop_example: ClassVar[str] = "Volume(size='10Gi')"

    def parse_size(self, path: str, prop: str) -> Memory:
        check_fields(path, prop, self)
        if self.storage_class is not None:
            checks.subdomain_name(path, f"{prop}.storage_class", self.storage_class, "fast-ssd")
        return Memory.parse(path, f"{prop}.size", self.size)


@value_object
@dataclass(frozen=True)
class Scratch:
    """Space that lives as long as the pod: an emptyDir with this size limit in Kubernetes, a tmpfs of this size
    in compose. For caches and temporary files larger than ``writable_paths`` (64Mi each) allow."""

    size: str = "1Gi"
    """Default: '1Gi'. The most the folder may hold."""
    prop_example: ClassVar[str] = "Scratch(size='1Gi')"

    def parse_size(self, path: str, prop: str) -> Memory:
        check_fields(path, prop, self)
        return Memory.parse(path, f"{prop}.size", self.size)
