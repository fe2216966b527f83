"""Handles on the Kubernetes objects a construct contributes: the escape hatch for what props do not cover."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipform.errors import ShipformError
from shipform.values import checks

# Labels shipform sets on every object and selects pods by: another value would break its own selectors.
RESERVED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/component",
                   "app.kubernetes.io/managed-by", "app.kubernetes.io/version")


@dataclass
class KubeObject:
    """A handle on the Kubernetes object of one role a construct contributes, reachable as an attribute
    (``api.deployment`` is the object that runs api's pods, whatever its kind).

    Which object that is, and whether there is one, is decided at synth time from the construct's final props
    (api's pods may run in a Deployment, a Rollout or a Knative Service; a PodDisruptionBudget exists only with
    more than one replica), so changes made to the construct after creation still count. What is added here is
    applied then: ``add_annotations`` and ``add_labels`` merge into the object's metadata and ``add_json_patch``
    edits the rendered manifest. Changing the handle of an object the construct does not have stops synth with
    an error that says why it has none.
    """

    owner_path: str
    role: str
    """What the object is for, as the plan names it ('controller', 'disruption-budget', 'claim:<name>')."""
    patches: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add_json_patch(self, *operations: dict[str, Any]) -> None:
        """Escape hatch: RFC 6902 operations applied to the rendered manifest, in the order added. An ``add``
        creates the maps on its path that the manifest does not have yet.

        Example: ``api.deployment.add_json_patch({"op": "add", "path": "/spec/paused", "value": True})``.
        """
        self.patches.extend(operations)

    def add_annotations(self, annotations: Mapping[str, str]) -> None:
        """Annotations merged into the object's metadata, e.g. for WebSockets through ingress-nginx:
        ``api.ingress.add_annotations({"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"})``. Keys and
        values are checked at synth, once the object's kind is known."""
        self.annotations.update(annotations)

    def add_labels(self, labels: Mapping[str, str]) -> None:
        """Labels merged into the object's metadata (its pods' labels stay shipform's selectors), e.g.
        ``api.deployment.add_labels({"team": "checkout"})``. Checked at synth, like annotations."""
        self.labels.update(labels)

    @property
    def changed(self) -> bool:
        return bool(self.patches or self.annotations or self.labels)

    def errors(self, kind: str) -> list[ShipformError]:
        """What the API server would refuse in the annotations and labels added, for the object's ``kind``."""
        errors = []
        prop = f"{kind}.annotations"
        for key, value in self.annotations.items():
            error = self._key_error(prop, key, "'nginx.ingress.kubernetes.io/proxy-read-timeout'")
            if error is None and not isinstance(value, str):
                error = ShipformError(self.owner_path, f"{prop}.{key}", "must be a string", value,
                                      f"quote it: '{value}'")
            errors += [error] if error is not None else []
        prop = f"{kind}.labels"
        for key, value in self.labels.items():
            error = self._key_error(prop, key, "'team' or 'acme.com/cost-center'")
            if error is None and key in RESERVED_LABELS:
                error = ShipformError(self.owner_path, prop, "sets a label shipform sets itself and selects by", key,
                                      "use a label of your own, e.g. 'acme.com/team'")
            if error is None and not checks.is_label_value(value):
                error = ShipformError(self.owner_path, f"{prop}.{key}", "must be at most 63 letters, digits, '-', "
                                      "'_' and '.', alphanumeric at both ends", value, "write e.g. 'checkout'")
            errors += [error] if error is not None else []
        return errors

    def _key_error(self, prop: str, key: object, example: str) -> ShipformError | None:
        """An annotation or label key as the API server takes it."""
        if checks.is_qualified_name(key):
            return None
        return ShipformError(self.owner_path, prop, "keys must be '[prefix/]name' (a DNS subdomain prefix, a name "
                             "of at most 63 letters, digits, '-', '_' and '.')", key, f"write e.g. {example}")
