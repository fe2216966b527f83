"""Where a workload keeps data and reads files: claims, scratch space, host folders, its configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shipform.values.quantity import Memory

WRITABLE_PATH_SIZE = Memory(64 * 2**20, "binary")
"""The emptyDir (tmpfs in compose) behind each writable path."""


def ephemeral_need(own: Memory, writable_paths: int, scratch: list[Memory]) -> Memory:
    """A container's ephemeral storage, requested and limited alike: its own share plus every emptyDir it
    mounts (the kubelet counts those against the pod's ephemeral storage too)."""
    return Memory(own.bytes + WRITABLE_PATH_SIZE.bytes * writable_paths + sum(m.bytes for m in scratch), "binary")


def scratch_volume_name(path: str) -> str:
    """The pod volume behind a writable path: 'tmp' for /tmp, else 'rw-' and the path's parts."""
    return "tmp" if path == "/tmp" else "rw" + path.replace("/", "-").replace("_", "-").replace(".", "-").lower()


def data_volume_name(path: str) -> str:
    """The pod volume a Volume or Scratch of a WebService or Worker mounts at ``path``: 'data' and the path's
    parts."""
    return "data" + path.replace("/", "-").replace("_", "-").replace(".", "-").lower()


@dataclass(frozen=True)
class ClaimTemplate:
    """A PersistentVolumeClaim per pod (a StatefulSet's volumeClaimTemplate)."""

    size: Memory
    storage_class: str | None
    access_mode: str


@dataclass(frozen=True)
class Claim:
    """A PersistentVolumeClaim of its own, named ``name``."""

    name: str
    size: Memory
    storage_class: str | None
    access_mode: str = "ReadWriteOnce"


@dataclass(frozen=True)
class SharedClaim:
    """A PersistentVolumeClaim another workload of the namespace owns (a backup's, a database's), mounted here
    without being planned again: ``read_only`` unless this workload writes into it."""

    name: str
    read_only: bool = True


@dataclass(frozen=True)
class DataStorage:
    """A StorageClass the Environment renders for its databases' volumes: a released volume is kept
    (reclaimPolicy Retain), provisioned where its pod lands, and expandable."""

    name: str
    provisioner: str
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scratch:
    """Space that lives as long as the pod (an emptyDir)."""

    size: Memory


@dataclass(frozen=True)
class HostFolder:
    """A folder of the node itself (hostPath): only for node agents in namespaces that allow host access."""

    path: str
    read_only: bool = True


@dataclass(frozen=True)
class Volume:
    """Data a workload keeps at ``mount_path``, in the pod's volume ``name``; ``kept_as`` names the data beyond one
    pod (a claim's name; a named volume where there are no claims)."""

    name: str
    mount_path: str
    kept_as: str
    source: ClaimTemplate | Claim | SharedClaim | Scratch | HostFolder


@dataclass(frozen=True)
class ConfigFile:
    """A file of the app mounted read-only at ``mount_path``: the ConfigMap's key ``key`` in Kubernetes, the
    ``source`` file itself in compose (None: a file shipform generates, given to compose as its content)."""

    key: str
    mount_path: str
    source: Path | None
    content: str


@dataclass(frozen=True)
class Config:
    """A workload's configuration: an immutable ConfigMap ``name`` (a hash of the content ends it, so a change
    is a new ConfigMap and a new pod template) holding the env values and the files."""

    name: str
    values: tuple[tuple[str, str], ...]
    files: tuple[ConfigFile, ...]

    @property
    def data(self) -> dict[str, str]:
        return {**dict(self.values), **{f.key: f.content for f in self.files}}
