"""actions/create-github-app-token's stand-in: the local "GitHub" has one App installed on the repository
(``$STANDIN_ROOT/app.json``: its id, private key and the installation token it hands out). The stand-in
checks the inputs against it (the id as ``app-id`` or ``client-id``, the private key byte for byte) and outputs
that token, which the remote accepts as the App's: pushes made with it start workflows, and the App may bypass
branch protection when the remote is set up so. Failures use the real action's wording."""

from __future__ import annotations

import json

from act.tools.common import fail, folder, output, say, value


def main() -> int:
    app = json.loads((folder("ROOT") / "app.json").read_text())
    app_id = value("app-id") or value("client-id")
    if not app_id:
        fail("Either 'client-id' or 'app-id' input must be set")
    if not value("private-key"):
        fail("Input required and not supplied: private-key")
    # The App's id (app-id) or its client ID (client-id: 'Iv23...', what the real action now asks for)
    if app_id not in (app["app_id"], app.get("client_id")):
        fail(f"Not Found - https://docs.github.com/rest/apps/apps#get-an-app (no App with id {app_id})")
    if value("private-key").strip() != app["private_key"].strip():
        fail("A JSON web token could not be decoded - https://docs.github.com/rest")
    output("token", app["token"])
    output("installation-id", app["installation_id"])
    output("app-slug", app["slug"])
    say(f"installation token of the App {app['slug']} (id {app_id})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
