# docs/examples/composite.py
from collections.abc import Sequence

from constructs import Construct
from hardened_api import HardenedApi
from shipform import (App, Backup, Build, Environment, Health, Quota, SecureNamespace, StatefulDB, WebService,
                      WebServiceProps)

API = ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]


class PythonApiWithDb(Construct):
    def __init__(self, scope: Construct, id: str, *, source: str, command: list[str],
                 connects_to: Sequence[WebService] = (), api: WebServiceProps | None = None) -> None:
        super().__init__(scope, id)
        self.db = StatefulDB(self, "db", engine="postgres", version="16", backup=Backup(schedule="0 3 * * *"))
        props: WebServiceProps = {**(api or {}), "build": Build.python(source, command), "port": 8000,
                                  "connects_to": [self.db, *connects_to]}
        self.api = HardenedApi(self, "api", **props)


app = App("sales", registry="ghcr.io/acme", version="1.4.2")
dev = Environment(app, "dev", local=True)
sales = SecureNamespace(dev, "sales", quota=Quota(cpu_limit="16", memory_limit="32Gi"))
carts = PythonApiWithDb(sales, "carts", source="services/api", command=API)
orders = PythonApiWithDb(sales, "orders", source="services/api", command=API, connects_to=[carts.api])
WebService(sales, "storefront", build=Build.node("services/web", ["node", "server.js"]), port=3000,
           health=Health.http("/healthz"), connects_to=[orders.api])   # its parts connect like any workload

if __name__ == "__main__":
    app.synth()
