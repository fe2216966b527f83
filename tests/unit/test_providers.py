"""A new provider is one file plus one line: a mesh defined here alone (no edit to shipform), registered in the
table for the test, is validated, defaulted and rendered like Istio and Linkerd; a misspelled name gets the
nearest registered one."""

from __future__ import annotations

from typing import Any

import pytest

from shipform import (
    App,
    DataStorage,
    Environment,
    Mesh,
    SecureNamespace,
    ShipformError,
    StatefulDB,
    Subject,
    WebService,
    spec,
)
from shipform.providers.mesh import MESHES
from shipform.providers.mesh.protocol import MeshProvider, Planned
from shipform.spec.plan import ObjectKey
from shipform.testing import find_object, objects, synthesize

API = "mesh.example.com/v1"


class FakeMesh:
    """A mesh whose control plane listens on 7070 and 7071, enrolls namespaces by a label and an annotation, and
    admits each server's clients by a 'fake://' identity."""

    name = "fake"
    default_namespace = "fake-system"
    control_plane_ports = (7070, 7071)
    injected_images = ("registry.example.com/fake-mesh/proxy",)
    proxy_metrics = spec.SidecarPort("fake-proxy", "fake-metrics", 7072, "/metrics")

    def default_pods(self, namespace: str) -> dict[str, str]:
        return {"app": "fake-control", "fake-mesh/ns": namespace}

    def principal(self, mesh: spec.Mesh, namespace: str, service_account: str) -> str:
        return f"fake://{mesh.trust_domain}/{namespace}/{service_account}"

    def namespace_metadata(self, ns: spec.Namespace) -> tuple[dict[str, str], dict[str, str]]:
        return {"fake-mesh/inject": "on"}, {"fake-mesh/inbound": "deny"}

    def pod_annotations(self, mesh: spec.Mesh) -> dict[str, str]:
        return {"fake-mesh/proxy-cpu": str(mesh.proxy.cpu)}

    def service_annotations(self, w: spec.Workload, mesh: spec.Mesh) -> dict[str, str]:
        return {"fake-mesh/timeout": mesh.timeout}

    def request_metrics(self, name: str, namespace: str) -> spec.RequestMetrics | None:
        return None

    def namespace_plan(self, ns: spec.Namespace) -> list[Planned]:
        key = ObjectKey("mesh:default", API, "FakeMeshDefault", "deny-all", ns.name)
        return [Planned(key, spec.shipform_labels(ns.app), lambda: {"spec": {"inbound": "deny"}})]

    def workload_plan(self, w: spec.Workload, mesh: spec.Mesh) -> list[Planned]:
        if not w.clients:
            return []
        identities = [self.principal(mesh, c.namespace, n) for c in w.clients for n in c.names]
        key = ObjectKey("mesh:authorization", API, "FakeAuthorization", w.name, w.namespace)
        fields: dict[str, Any] = {"spec": {"port": w.ports[0].number, "identities": identities}}
        return [Planned(key, w.labels, lambda: fields)]


@pytest.fixture
def fake_mesh():
    provider: MeshProvider = FakeMesh()
    MESHES.register(provider)
    yield provider
    MESHES.unregister(provider.name)


def test_a_mesh_defined_outside_shipform_is_synthesized_like_the_built_in_ones(app_root, fake_mesh):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    prod = Environment(app, "prod", mesh=Mesh(kind="fake", timeout="7s"), data_storage=DataStorage("ebs.csi.aws.com"))
    ns = SecureNamespace(prod, "shop", mesh="fake", deployers=[Subject.group("deployers")])
    db = StatefulDB(ns, "db", engine="postgres", version="16")
    WebService(ns, "api", image="nginx:1.27.3", port=8000, connects_to=[db])
    files = synthesize(app)

    namespace = find_object(files, "Namespace", "shop")["metadata"]
    assert namespace["labels"]["fake-mesh/inject"] == "on"
    assert namespace["annotations"]["fake-mesh/inbound"] == "deny"
    assert find_object(files, "FakeMeshDefault", "deny-all", "shop")["spec"] == {"inbound": "deny"}
    for name in ("api", "db"):
        pod = find_object(files, "Deployment" if name == "api" else "StatefulSet", name)["spec"]["template"]
        assert pod["metadata"]["annotations"]["fake-mesh/proxy-cpu"] == "100m"
        assert find_object(files, "Service", name)["metadata"]["annotations"]["fake-mesh/timeout"] == "7s"
    # The provider's own objects, from the connects_to graph: the database admits the api by its identity.
    assert find_object(files, "FakeAuthorization", "db")["spec"] == {
        "port": 5432, "identities": ["fake://cluster.local/shop/api"]}
    assert not objects(files, "FakeAuthorization", "api")  # nothing calls it
    # The NetworkPolicies admit the control plane's ports, at its default namespace and pods, and nothing else.
    control_plane = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "fake-system"}},
                             "podSelector": {"matchLabels": {"app": "fake-control", "fake-mesh/ns": "fake-system"}}}],
                     "ports": [{"port": 7070, "protocol": "TCP"}, {"port": 7071, "protocol": "TCP"}]}
    for name in ("api", "db"):
        egress = find_object(files, "NetworkPolicy", name)["spec"]["egress"]
        assert control_plane in egress
        assert [r for r in egress if "fake-system" in str(r)] == [control_plane]
    # The deployer may apply the workloads' mesh objects (the resource from the apiVersion and kind); the
    # namespace's own stay with whoever applies the namespace.
    rules = find_object(files, "Role", "deployer")["rules"]
    assert {"apiGroups": ["mesh.example.com"], "resources": ["fakeauthorizations"],
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]} in rules


def test_the_fake_mesh_leaves_the_table_after_its_test():
    assert "fake" not in MESHES and MESHES.names() == ("istio", "linkerd")


@pytest.mark.parametrize("construct", ["Environment", "SecureNamespace"])
def test_a_misspelled_mesh_names_the_nearest_registered_one(app_root, construct):
    app = App("shop", registry="ghcr.io/acme", root=app_root)
    with pytest.raises(ShipformError) as caught:
        if construct == "Environment":
            Environment(app, "prod", mesh=Mesh(kind="linkerdd"), data_storage=DataStorage("ebs.csi.aws.com"))
        else:
            SecureNamespace(Environment(app, "prod", mesh=Mesh(kind="linkerd"),
                                        data_storage=DataStorage("ebs.csi.aws.com")), "shop", mesh="linkerdd")
    prop, path = ("mesh.kind", "shop/prod") if construct == "Environment" else ("mesh", "shop/prod/shop")
    assert str(caught.value) == (f"{path}: '{prop}' must be one of 'istio', 'linkerd', got 'linkerdd'. "
                                 "Fix: did you mean 'linkerd'? pass one of 'istio', 'linkerd'")
