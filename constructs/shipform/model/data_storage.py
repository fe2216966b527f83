"""Where databases keep their data in a cluster: a volume outlives its claim only when its StorageClass says
``reclaimPolicy: Retain`` (the clouds' default classes say Delete), so shipform renders such a class or is told of
one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

ReclaimPolicy = Literal["Retain", "Delete"]
RECLAIM_POLICIES: tuple[ReclaimPolicy, ...] = ("Retain", "Delete")


@value_object
@dataclass(frozen=True)
class DataStorage:
    """``Environment(..., data_storage=DataStorage("ebs.csi.aws.com", {"type": "gp3", "encrypted": "true"}))``.

    shipform renders a StorageClass ``<app>-<environment>-data`` with ``reclaimPolicy: Retain`` (a volume whose
    claim is deleted keeps its data, for an administrator to bind again or delete), ``volumeBindingMode:
    WaitForFirstConsumer`` (provisioned in the zone its pod lands in) and ``allowVolumeExpansion: true``. The
    Environment's database volumes and backup claims use it unless they name a ``storage_class`` of their own.

    :param provisioner: the CSI driver (required): 'ebs.csi.aws.com' (EKS), 'pd.csi.storage.gke.io' (GKE),
        'disk.csi.azure.com' (AKS), or your cluster's.
    :param parameters: Default: {} (the driver's defaults). The driver's StorageClass parameters.
    """

    provisioner: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    prop_example: ClassVar[str] = "DataStorage('ebs.csi.aws.com', {'type': 'gp3'})"

    def to_spec(self, path: str, name: str) -> spec.DataStorage:
        check_fields(path, "data_storage", self)
        checks.subdomain_name(path, "data_storage.provisioner", self.provisioner, "ebs.csi.aws.com")
        for key, value in self.parameters.items():
            if not checks.is_qualified_name(key) or not isinstance(value, str) or not value.isprintable():
                raise ShipformError(path, f"data_storage.parameters[{key!r}]", "must map a parameter name to "
                                    "a one-line string", value, "write e.g. {'type': 'gp3', 'encrypted': 'true'}")
        return spec.DataStorage(name, self.provisioner, tuple(sorted(self.parameters.items())))


def database_class(path: str, prop: str, storage_class: str | None, reclaim_policy: ReclaimPolicy, local: bool,
                   data_storage: spec.DataStorage | None) -> str | None:
    """The StorageClass of a database's volume (None: the cluster's default). Outside a local Environment a volume
    kept by its reclaim policy needs a class that retains: the Environment's, or one named (shipform cannot read
    the cluster's classes, so a named class is taken as one that retains, as the guide says)."""
    if storage_class is not None or reclaim_policy == "Delete" or local:
        return storage_class
    if data_storage is not None:
        return data_storage.name
    raise ShipformError(path, prop, "is the cluster's default StorageClass, which deletes a volume's data with its "
                        "claim (reclaimPolicy: Delete on EKS, GKE and AKS)", storage_class,
                        "give the Environment data_storage=DataStorage('<CSI driver>') (shipform renders a class "
                        "that retains), name a class with reclaimPolicy: Retain, or set reclaim_policy='Delete'")
