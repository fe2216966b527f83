"""A new facet is one module plus one line: a facet type defined here alone (no edit to shipform), with its
contribution registered for the test (an object of its own, an egress rule, a port compose publishes), reaches the
Kubernetes objects, the NetworkPolicy and the compose file, from a hand-built spec and from a construct."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from shipform import App, Environment, ShipformError, WebService, spec
from shipform.render import compose, contributions, network
from shipform.render.contributions import Contribution, NetworkRules, Rule
from shipform.render.environment import environment_objects
from shipform.spec.plan import ObjectKey, Planned
from shipform.testing import find_object, synthesize
from unit.hand_made import make_app, make_environment, make_workload


@dataclass(frozen=True)
class Audited(spec.Facet):
    """The workload ships audit records to a sink in the cluster, and serves its audit log on ``port``."""

    sink_namespace: str
    port: int


def _audited(w: spec.Workload, cilium: bool) -> str | None:
    return None if w.facet(Audited) is not None else f"{w.name} is not audited"


def _objects(w: spec.Workload) -> list[Planned]:
    audited = w.facet(Audited)
    assert audited is not None
    key = ObjectKey("audit-policy", "audit.example.com/v1", "AuditPolicy", w.name, w.namespace)
    return [Planned(key, w.labels, lambda: {"spec": {"sink": audited.sink_namespace}})]


def _egress(w: spec.Workload, audited: Audited) -> NetworkRules:
    return [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": audited.sink_namespace}}}],
             "ports": [{"port": 6514, "protocol": "TCP"}]}]


def _published(w: spec.Workload, audited: Audited) -> tuple[int, ...]:
    return (audited.port,)


AUDIT = Contribution(Audited, rules=(Rule("audit-policy", _audited, objects=_objects),), egress=_egress,
                     published=_published)
SINK = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "audit"}}}],
        "ports": [{"port": 6514, "protocol": "TCP"}]}


@pytest.fixture
def audit():
    contributions.register(AUDIT)
    yield AUDIT
    contributions.unregister(Audited)


def test_a_facet_defined_outside_shipform_contributes_to_each_output(audit):
    w = make_workload(facets=(Audited("audit", 9800),))
    objects = environment_objects(make_environment(w))
    assert [o["spec"] for o in objects if o["kind"] == "AuditPolicy"] == [{"sink": "audit"}]
    assert network.network_policy_spec(w)["egress"][-1] == SINK
    service = compose.compose_document(make_app(make_environment(w)), Path("/o/compose"), Path("/o/docker"))
    assert service is not None and service["services"]["hello"]["ports"] == ["127.0.0.1:9800:9800"]
    plain = make_workload()  # without the facet, nothing of it
    assert not [o for o in environment_objects(make_environment(plain)) if o["kind"] == "AuditPolicy"]
    assert SINK not in network.network_policy_spec(plain)["egress"]


class AuditedService(WebService):
    """A team's own construct that adds the facet to a WebService's spec, with a handle on its object."""

    def __init__(self, *args, **props):
        super().__init__(*args, **props)
        self.audit_policy = self.handle("audit-policy")

    def facet_specs(self, clients):
        return (*super().facet_specs(clients), Audited("audit", 9800))


def test_a_construct_with_the_facet_is_synthesized_with_its_contributions(app_root, audit):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    dev = Environment(app, "dev", local=True)
    api = AuditedService(dev, "api", image="nginx:1.27.3", port=8000)
    api.audit_policy.add_labels({"team": "security"})
    files = synthesize(app)
    policy = find_object(files, "AuditPolicy", "api")
    assert policy["spec"] == {"sink": "audit"} and policy["metadata"]["labels"]["team"] == "security"
    assert SINK in find_object(files, "NetworkPolicy", "api")["spec"]["egress"]
    assert yaml.safe_load(files["compose/compose.yaml"])["services"]["api"]["ports"] == ["127.0.0.1:9800:9800"]


def test_a_handle_on_the_facets_object_says_why_a_workload_has_none(app_root, audit):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    dev = Environment(app, "dev")
    api = WebService(dev, "api", image="nginx:1.27.3", port=8000)
    api.handle("audit-policy").add_labels({"team": "security"})
    with pytest.raises(ShipformError, match="'audit-policy' is changed, but there is no such object: api is not "
                                            "audited"):
        synthesize(app)


def test_the_facet_leaves_the_table_after_its_test():
    assert Audited not in {c.facet for c in contributions.registered()}
