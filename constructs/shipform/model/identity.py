"""Workload identity: a pod reaches a cloud's API as an identity of that cloud, through its ServiceAccount,
instead of with long-lived keys in a Secret."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}")


@value_object
@dataclass(frozen=True)
class AwsRole:
    """An IAM role the pod assumes with its ServiceAccount's token (EKS IAM Roles for Service Accounts): its
    ServiceAccount carries ``eks.amazonaws.com/role-arn``; EKS's pod identity webhook then projects a token of the
    audience ``sts.amazonaws.com`` into the containers that need it, so ``automountServiceAccountToken`` stays
    false. The role's trust policy names the cluster's OIDC provider and ``system:serviceaccount:<namespace>:<name>``.

    :param arn: the role's ARN, ``arn:aws:iam::<account>:role/<name>`` (required).
    """

    arn: str
    prop_example: ClassVar[str] = "AwsRole('arn:aws:iam::123456789012:role/shop-backup')"

    def to_spec(self, path: str, prop: str, skip_containers: Sequence[str] = ()) -> spec.CloudIdentity:
        """What the pod's ServiceAccount and pods carry; ``skip_containers`` get no token (the webhook's
        ``eks.amazonaws.com/skip-containers``): one credential per container."""
        check_fields(path, prop, self)
        if not checks.matches(_ROLE_ARN, self.arn):
            raise ShipformError(path, f"{prop}.arn", "must be an IAM role ARN", self.arn,
                                "write e.g. 'arn:aws:iam::123456789012:role/shop-backup'")
        pod = (("eks.amazonaws.com/skip-containers", ",".join(skip_containers)),) if skip_containers else ()
        return spec.CloudIdentity((("eks.amazonaws.com/role-arn", self.arn),
                                   ("eks.amazonaws.com/sts-regional-endpoints", "true")), pod)
