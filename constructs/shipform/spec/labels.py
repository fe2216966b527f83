"""The labels shipform puts on objects and selects pods by."""

from __future__ import annotations


def shipform_labels(app: str) -> dict[str, str]:
    """The labels of every object shipform makes for ``app`` outside a workload."""
    return {"app.kubernetes.io/part-of": app, "app.kubernetes.io/managed-by": "shipform"}


def selector(app: str, name: str) -> dict[str, str]:
    """The labels that pick a workload's pods."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": app}
