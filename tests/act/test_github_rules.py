"""The local GitHub's rules that the new release loop depends on and today's workflows do not reach, shown with a
small workflow of the test's own: a protected main refuses the workflow's token and lets the App's bypass, the
App's token persists through checkout, and pull requests need the repository setting with GITHUB_TOKEN."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.act, pytest.mark.containers]

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
APP_TOKEN = "actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3"

WORKFLOW = f"""\
name: rules
on: workflow_dispatch
permissions: {{}}
jobs:
  bot:
    runs-on: ubuntu-24.04
    permissions:
      contents: write
      pull-requests: write
    steps:
      - id: app
        uses: {APP_TOKEN}
        with:
          client-id: ${{{{ vars.SHIPFORM_APP_CLIENT_ID }}}}
          private-key: ${{{{ secrets.SHIPFORM_APP_KEY }}}}
      - uses: {CHECKOUT}
        with:
          token: ${{{{ steps.app.outputs.token }}}}
          fetch-depth: 0
      - name: The workflow's token cannot push to the protected main
        env:
          TOKEN: ${{{{ github.token }}}}
        run: |
          git config user.name bot && git config user.email bot@example.com
          git commit -q --allow-empty -m "Pushed by the App"
          ! git push "https://x-access-token:$TOKEN@github.com/$GITHUB_REPOSITORY.git" HEAD:main
      - name: The App's token, persisted by checkout, can
        run: git push origin HEAD:main
      - name: A branch, and pull requests with either token
        env:
          WORKFLOW_TOKEN: ${{{{ github.token }}}}
          APP: ${{{{ steps.app.outputs.token }}}}
        run: |
          git commit -q --allow-empty -m "Promote" && git push origin HEAD:refs/heads/promote/dev-to-prod
          ! GH_TOKEN="$WORKFLOW_TOKEN" gh pr create --base main --head promote/dev-to-prod --title T --body B
          GH_TOKEN="$APP" gh pr create --base main --head promote/dev-to-prod --title T --body B
          ! GH_TOKEN="$APP" gh pr create --base main --head promote/dev-to-prod --title T --body B
          test "$(GH_TOKEN="$APP" gh pr list --head promote/dev-to-prod --json number --jq '.[0].number')" = 1
"""


def test_protected_main_app_token_and_pull_requests(world):
    world.remote.settings(protected=["main"], bypass=["app"])
    world.repo.write(".github/workflows/rules.yaml", WORKFLOW)
    world.repo.commit("A workflow of the harness's own")
    world.repo.push()
    variables, secrets = world.app_credentials()
    result = world.run("rules.yaml", "workflow_dispatch", world.dispatch_payload(), variables=variables,
                       secrets=secrets)
    assert result.ok, repr(result)
    assert "GH006: Protected branch update failed" in result.output("bot")
    assert "GitHub Actions is not permitted to create or approve pull requests" in result.output("bot")
    assert "already exists" in result.output("bot")
    main = world.last_push()
    assert main.pusher == "app" and world.remote.commits()[0].subject == "Pushed by the App"
    assert [(p["number"], p["author"], p["headRefName"]) for p in world.remote.pulls()] == [
        (1, "app", "promote/dev-to-prod")]
