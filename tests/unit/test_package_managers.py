"""Every lockfile a team may have is installed by its own tool, frozen: npm, pnpm, yarn classic and berry, bun;
pip from requirements.txt, uv, poetry, pdm and pipenv. pnpm and yarn come through corepack at the version
package.json pins (refused when it pins none); yarn's Plug'n'Play is refused, saying how to switch it off."""

from __future__ import annotations

import json

import pytest

from shipform import Build, InvalidApp, WebService
from shipform.model.native_packages import python_packages
from shipform.testing import synthesize

NODE = {
    "pnpm": ({"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, "pnpm@9.15.0",
             ["corepack enable --install-directory /opt/corepack pnpm", "COPY package.json pnpm-lock.yaml ./",
              "pnpm install --frozen-lockfile --prod"]),
    "yarn": ({"yarn.lock": "# yarn lockfile v1\n"}, "yarn@1.22.22",
             ["corepack enable --install-directory /opt/corepack yarn", "COPY package.json yarn.lock ./",
              "yarn install --frozen-lockfile --production"]),
    "yarn-berry": ({"yarn.lock": "__metadata:\n  version: 8\n", ".yarnrc.yml": "nodeLinker: node-modules\n"},
                   "yarn@4.5.3", ["COPY package.json yarn.lock .yarnrc.yml ./",
                                  "yarn workspaces focus --all --production"]),
    "bun": ({"bun.lock": "{}\n"}, None, ["npm install --global bun@1.2.23", "COPY package.json bun.lock ./",
                                         "bun install --frozen-lockfile --production"]),
}


def node_context(root, files, package_manager):
    folder = root / "web"
    folder.mkdir()
    manifest = {"name": "web", "version": "1.0.0", **({"packageManager": package_manager} if package_manager else {})}
    (folder / "package.json").write_text(json.dumps(manifest))
    for name, text in files.items():
        (folder / name).write_text(text)


@pytest.mark.parametrize("installer", NODE)
def test_each_node_lockfile_is_installed_frozen_by_its_own_tool(new_app, app_root, installer):
    files, package_manager, lines = NODE[installer]
    node_context(app_root, files, package_manager)
    app, dev, _ = new_app()
    WebService(dev, "web", build=Build.node("web", ["node", "server.js"]), port=3000)
    text = synthesize(app)["docker/web/Dockerfile"]
    for line in lines:
        assert line in text, line
    assert "npm ci" not in text


def test_a_build_command_installs_everything_then_prunes(new_app, app_root):
    node_context(app_root, {"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, "pnpm@9.15.0")
    app, dev, _ = new_app()
    WebService(dev, "web", build=Build.node("web", ["node", "dist/server.js"], build_command=["pnpm", "run", "build"]),
               port=3000)
    text = synthesize(app)["docker/web/Dockerfile"]
    assert "    pnpm install --frozen-lockfile\nCOPY . .\nRUN pnpm run build \\\n && pnpm prune --prod\n" in text


@pytest.mark.parametrize(("files", "package_manager", "message"), [
    ({"pnpm-lock.yaml": ""}, None, "pnpm-lock.yaml needs package.json's packageManager to pin pnpm"),
    ({"yarn.lock": ""}, "pnpm@9.15.0", "yarn.lock needs package.json's packageManager to pin yarn"),
    ({"yarn.lock": ""}, "yarn@3.8.7", "needs yarn 4 or later"),
    ({"yarn.lock": ""}, "yarn@4.5.3", "uses yarn's Plug'n'Play"),
])
def test_unpinned_tools_and_plug_n_play_are_refused(new_app, app_root, files, package_manager, message):
    node_context(app_root, files, package_manager)
    app, dev, _ = new_app()
    WebService(dev, "web", build=Build.node("web", ["node", "server.js"]), port=3000)
    with pytest.raises(InvalidApp, match=message):
        synthesize(app)


@pytest.mark.parametrize(("files", "lines"), [
    ({"pdm.lock": "[[package]]\nname = 'psycopg2'\nversion = '2.9.10'\ngroups = ['default']\n\n[[package]]\n"
                  "name = 'mysqlclient'\nversion = '2.2.6'\ngroups = ['dev']\n", "pyproject.toml": ""},
     ["pip install --no-cache-dir pdm==2.29.4", "COPY pyproject.toml pdm.lock ./",
      "/opt/pdm/bin/pdm export --prod --format requirements --output /tmp/requirements.txt", "libpq-dev"]),
    ({"Pipfile.lock": json.dumps({"default": {"psycopg2": {"version": "==2.9.10"}},
                                  "develop": {"mysqlclient": {"version": "==2.2.6"}}}), "Pipfile": ""},
     ["pip install --no-cache-dir pipenv==2026.10.3", "COPY Pipfile Pipfile.lock ./",
      "/opt/pipenv/bin/pipenv requirements --hash > /tmp/requirements.txt", "libpq-dev"]),
])
def test_pdm_and_pipenv_export_their_production_dependencies(new_app, app_root, files, lines):
    (app_root / "api").mkdir()
    for name, text in files.items():
        (app_root / "api" / name).write_text(text)
    app, dev, _ = new_app()
    WebService(dev, "api", build=Build.python("api", ["python", "-m", "api"]), port=8000)
    text = synthesize(app)["docker/api/Dockerfile"]
    for line in lines:
        assert line in text, line
    assert "default-libmysqlclient-dev" not in text  # a development dependency only
    assert python_packages("shop/dev/api", app_root / "api", next(iter(files)))[0] == ("psycopg2",)


@pytest.mark.parametrize(("manifest", "copied"), [
    ({"main": "dist/server.js", "files": ["dist", "public/"]}, ["dist", "public"]),
    ({"main": "server.js"}, None),  # no files list: the whole context
    ({"files": ["dist/**/*.js"]}, None),  # a pattern: the whole context
    ({"files": ["../secrets"]}, None),  # outside the context: the whole context, never a path out of it
])
def test_the_node_runtime_copies_what_package_json_publishes(new_app, app_root, manifest, copied):
    folder = app_root / "web"
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps({"name": "web", "version": "1.0.0", **manifest}))
    (folder / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}\n')
    for path in ("dist/server.js", "public/index.html", "server.js"):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text("\n")
    app, dev, _ = new_app()
    WebService(dev, "web", build=Build.node("web", ["node", "dist/server.js"]), port=3000)
    text = synthesize(app)["docker/web/Dockerfile"]
    runtime = text.split("\nFROM node:22.12.0-bookworm-slim\n")[1]
    if copied is None:
        assert "COPY --from=build /src /app\n" in runtime
    else:
        lines = [line for line in runtime.splitlines() if line.startswith("COPY --from=build /src")]
        assert lines == ["COPY --from=build /src/package.json /app/package.json",
                         "COPY --from=build /src/node_modules /app/node_modules",
                         *(f"COPY --from=build /src/{c} /app/{c}" for c in copied)]


def test_uv_installs_as_its_docker_guide_says(new_app, app_root):
    (app_root / "api").mkdir()
    (app_root / "api" / "pyproject.toml").write_text("[project]\nname = 'api'\nversion = '1.0'\n")
    (app_root / "api" / "uv.lock").write_text("version = 1\n")
    app, dev, _ = new_app()
    WebService(dev, "api", build=Build.python("api", ["python", "-m", "api"]), port=8000)
    text = synthesize(app)["docker/api/Dockerfile"]
    assert ("UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy uv sync --frozen --no-dev "
            "--no-install-project") in text
    assert "COPY pyproject.toml uv.lock ./" in text
