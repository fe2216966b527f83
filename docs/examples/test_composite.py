# docs/examples/test_composite.py
from composite import app
from shipform.testing import assert_no_secret_literals, find_object, synthesize


def test_orders_api(snapshot):
    files = synthesize(app)
    assert files["k8s/dev/deployment-sales-orders-api.yaml"] == snapshot
    assert find_object(files, "StatefulSet", "orders-db", env="dev")["spec"]["replicas"] == 1
    assert_no_secret_literals(files)
