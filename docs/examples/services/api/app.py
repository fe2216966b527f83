"""The example API: health at /healthz, its settings from the file mounted at /etc/shop/api.toml."""

import os
import tomllib

from flask import Flask, jsonify

app = Flask(__name__)
with open(os.environ.get("API_SETTINGS", "/etc/shop/api.toml"), "rb") as file:
    SETTINGS = tomllib.load(file)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/settings")
def settings():
    return jsonify(SETTINGS)
