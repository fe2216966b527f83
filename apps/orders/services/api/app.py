"""An orders API as Acme's PythonApiWithDb runs it: health at /healthz, its database and peers from the
environment shipform sets (<NAME>_HOST, <NAME>_PORT, <NAME>_URL)."""

import os

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/peers")
def peers():
    """The hosts this instance was told about: its database and the services it calls."""
    return {name.removesuffix("_HOST").lower(): value for name, value in sorted(os.environ.items())
            if name.endswith("_HOST")}
