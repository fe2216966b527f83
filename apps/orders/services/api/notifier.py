"""The order notifier: it receives the CloudEvents its Triggers deliver from the Broker (Knative's binary content
mode: the attributes in ce-* headers, the data as the body), logs each, and answers 202. A request that is not a
CloudEvent gets 400. Health at /healthz."""

import logging

from flask import Flask, request

app = Flask(__name__)
log = logging.getLogger("notifier")
logging.basicConfig(level=logging.INFO, format="%(message)s")

REQUIRED = ("ce-id", "ce-source", "ce-type", "ce-specversion")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/")
def receive():
    missing = [header for header in REQUIRED if header not in request.headers]
    if missing:
        return {"error": f"not a CloudEvent: no {', '.join(missing)}"}, 400
    log.info("event %s of type %s from %s: %d bytes", request.headers["ce-id"], request.headers["ce-type"],
             request.headers["ce-source"], len(request.get_data()))
    return "", 202
