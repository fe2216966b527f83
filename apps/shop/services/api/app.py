"""The shop API: products come from the catalog service; health at /healthz."""

import json
import os
import tomllib
import urllib.request

import psycopg2
from flask import Flask, jsonify

app = Flask(__name__)
with open(os.environ.get("SESSION_KEY_FILE", "/dev/null"), "rb") as secret:
    app.secret_key = secret.read() or os.urandom(32)
CATALOG_URL = os.environ.get("CATALOG_URL", "http://catalog:8080")
# Settings come from a file mounted at run time (a ConfigMap in Kubernetes, a compose config locally).
try:
    with open(os.environ.get("API_SETTINGS", "/etc/shop/api.toml"), "rb") as file:
        SETTINGS = tomllib.load(file)
except FileNotFoundError:
    SETTINGS = {}
CATALOG_TIMEOUT = SETTINGS.get("catalog", {}).get("timeout_seconds", 3)
PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "20"))


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/products")
def products():
    with urllib.request.urlopen(f"{CATALOG_URL}/products", timeout=CATALOG_TIMEOUT) as res:
        return jsonify(json.load(res)[:PAGE_SIZE])


@app.get("/featured")
def featured():
    return {"featured": SETTINGS.get("products", {}).get("featured", [])}


@app.get("/orders/count")
def order_count():
    with open(os.environ["DB_PASSWORD_FILE"]) as file:
        password = file.read().strip()
    with psycopg2.connect(host=os.environ["DB_HOST"], port=os.environ["DB_PORT"], dbname=os.environ["DB_NAME"],
                          user=os.environ["DB_USER"], password=password, connect_timeout=3) as conn, \
            conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity")
        return {"connections": cur.fetchone()[0]}
