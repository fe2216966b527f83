"""The shop API: products come from the catalog service; health at /healthz."""

import json
import os
import urllib.request

from flask import Flask, jsonify

app = Flask(__name__)
with open(os.environ.get("SESSION_KEY_FILE", "/dev/null"), "rb") as secret:
    app.secret_key = secret.read() or os.urandom(32)
CATALOG_URL = os.environ.get("CATALOG_URL", "http://catalog:8080")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/products")
def products():
    with urllib.request.urlopen(f"{CATALOG_URL}/products", timeout=3) as res:
        return jsonify(json.load(res))
