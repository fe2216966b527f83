"""What a WebService receives from a Broker: ``events=[On(broker, type="order.created"), On(nightly)]``, each
subscription one Trigger per set of CloudEvents attributes, checked here and made into the EventSubscription
facet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.broker import Broker
from shipform.model.event_sources import KafkaSource, PingSource
from shipform.values import checks
from shipform.values.prop_types import check_fields
from shipform.values.value_object import value_object

_ATTRIBUTE = r"[a-z][a-z0-9]{0,19}"
"""An attribute name both CloudEvents and Knative take: lower-case letters and digits, at most 20 (CloudEvents),
starting with a letter (the Trigger webhook's ``^[a-z][a-z0-9]*$``, knative/eventing
``pkg/apis/eventing/v1/trigger_validation.go``)."""


@value_object
@dataclass(frozen=True)
class On:
    """Events a service receives: those of the Broker (or of a source, at its Broker) whose CloudEvents attributes
    all equal the ones given (a Trigger's exact filter). At least one attribute: a service names what it handles.

    :param of: A :class:`Broker`, or a source (:class:`PingSource`, :class:`KafkaSource`), whose own attributes
        (its type and source) are the filter then.
    :param type: Default: None. The ``type`` attribute, e.g. 'order.created'.
    :param source: Default: None. The ``source`` attribute, e.g. '/shop/api'.
    :param attributes: Default: {}. Further attributes (extensions) that must be equal, ``{"tenant": "acme"}``.
    """

    of: Broker | PingSource | KafkaSource
    type: str | None = None
    source: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    prop_example: ClassVar[str] = "On(broker, type='order.created')"

    def broker(self) -> Broker:
        return self.of if isinstance(self.of, Broker) else self.of.to

    def filters(self, path: str, prop: str) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The attribute sets of its Triggers (one, or one per topic of a KafkaSource); its fields are checked."""
        given = {**({"type": self.type} if self.type is not None else {}),
                 **({"source": self.source} if self.source is not None else {}), **self.attributes}
        for name, value in given.items():
            if not checks.matches(_ATTRIBUTE, name):
                raise ShipformError(path, f"{prop}.attributes", "holds a name a Trigger does not take (a "
                                    "lower-case letter, then up to 19 lower-case letters and digits)", name,
                                    "write e.g. attributes={'tenant': 'acme'}")
            if not value or not value.isprintable():
                raise ShipformError(path, f"{prop}.{name if name in ('type', 'source') else 'attributes'}",
                                    "must be a non-empty line", value, "give the exact value the events carry")
        if isinstance(self.of, Broker):
            if not given:
                raise ShipformError(path, prop, "has no filter, so every event of the Broker would reach the "
                                    "service", self, "name what it handles, e.g. On(broker, type='order.created')")
            return (tuple(sorted(given.items())),)
        if self.type is not None or self.source is not None:
            raise ShipformError(path, prop, f"names type or source, and the {type(self.of).__name__} "
                                "sets both itself", self, f"drop them, or write On({self.of.to.id}, type=...)")
        source = self.of.eventing_spec()
        return tuple(tuple(sorted({**dict(f), **self.attributes}.items())) for f in source.filters)


def subscription(path: str, name: str, namespace: str, events: Sequence[On],
                 environment: object) -> spec.EventSubscription | None:
    """The Triggers of ``events`` (``<name>-<n>``, numbered in order), each on its Broker, which must be of the
    service's namespace (a Trigger's subscriber is in the Trigger's namespace)."""
    if not events:
        return None
    triggers: list[spec.Trigger] = []
    planes = set()
    for i, on in enumerate(events):
        prop = f"events[{i}]"
        if not isinstance(on, On):
            raise ShipformError(path, prop, "must be On(...)", on, "write On(broker, type='order.created')")
        check_fields(path, prop, on)
        broker = on.broker()
        if broker.environment is not environment or broker.namespace != namespace:
            raise ShipformError(path, prop, f"names a Broker outside the service's namespace '{namespace}'",
                                broker.path, "subscribe to a Broker of the same namespace (a Trigger delivers "
                                "within its namespace)")
        sent_by = None if isinstance(on.of, Broker) else on.of.name
        for attributes in on.filters(path, prop):
            if any((t.broker, t.attributes) == (broker.name, attributes) for t in triggers):
                raise ShipformError(path, prop, "repeats a subscription", dict(attributes), "list it once")
            triggers.append(spec.Trigger(f"{name}-{len(triggers) + 1}", broker.name, attributes, sent_by))
        planes.add(broker.plane)
    if len(planes) > 1:
        raise ShipformError(path, "events", "names Brokers of different eventing namespaces", sorted(
            p.namespace for p in planes), "give every Broker the same eventing_namespace")
    return spec.EventSubscription(tuple(triggers), planes.pop())
