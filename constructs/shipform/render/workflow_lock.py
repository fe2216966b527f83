"""CI's lock trust job, ``<app>: lock trust``: every digest the App's lock file holds (each Environment's entries,
the ``built`` section and any other section of image digests, as ``shipform lock list`` lists them) must exist in
its registry, and a digest of an image an App builds must carry a keyless signature by that App's build workflow
of this repository, run on the default branch or a release tag (the identity the promotion verifies). A pull
request that changes a digest by one character, re-synthesized so the output check passes, fails here; every
bad entry is reported, each as an ``::error::`` line naming the image, where in the lock it is and the fix.

The job reads the registry as the promotion does, read-only: GHCR with the workflow's token (``packages: read``),
the clouds as the read identity (OIDC), Docker Hub and other registries with their secrets. A pull request from a
fork gets no secrets and no OIDC token: there the job logs in to GHCR only (the fork's read-only token) and
reads any other registry anonymously, and an entry it cannot read fails with a hint saying so. Jobs that log in
with a secret or a cloud identity run in the GitHub environment ``lock-trust``: zizmor asks for an environment
around secrets, and a cloud's trust policy then matches one exact subject for pull requests and the default
branch alike (:mod:`shipform.render.trust`)."""

from __future__ import annotations

import re

from shipform import spec
from shipform.render.actions import uses
from shipform.render.output import Context
from shipform.render.registries import kind_of, login_steps, registry_permissions, uses_cloud_identity, uses_secrets
from shipform.render.workflow_common import WORKFLOWS_DIR, Job, checkout, job, setup_python
from shipform.render.workflow_scripts import SIGNER

LOCK_TRUST_ENVIRONMENT = "lock-trust"
"""The GitHub environment of the lock trust job when it logs in with a secret or a cloud identity: it must admit
pull request branches (no deployment branch rule), and it holds read-only credentials only."""

CREDENTIALS = ("github.event_name != 'pull_request' || "
               "github.event.pull_request.head.repo.full_name == github.repository")
"""Whether the run has the repository's secrets and an OIDC token: GitHub gives neither to a fork's pull
request."""

LIST = r"""shipform lock list "$APP_FILE" --app "$APP" > "$RUNNER_TEMP/lock-digests"
echo "$LOCK holds $(wc -l < "$RUNNER_TEMP/lock-digests") digest(s)"
"""
"""Runs the app file (which Apps build which image), before any login: no credential in the job yet."""

CHECK = SIGNER + r"""
issuer=https://token.actions.githubusercontent.com
failed=0
checked=0
while IFS="$(printf '\t')" read -r section reference builder; do
  [ -n "$reference" ] || continue
  checked=$((checked + 1))
  image=${reference%@*}
  digest=${reference##*@}
  name=$image
  case ${image##*/} in *:*) name=${image%:*} ;; esac
  case $section in
    environments.*) where="Environment ${section#environments.}" ;;
    *) where="the lock's '$section' section" ;;
  esac
  hint=
  if [ "$CREDENTIALS" != true ]; then
    hint=" (read without credentials: a fork's pull request gets none; push its branch here to check it)"
  fi
  if ! skopeo inspect --raw "docker://$name@$digest" > /dev/null 2> "$RUNNER_TEMP/why"; then
    why=$(tail -n 1 "$RUNNER_TEMP/why")
    if [ "$builder" = - ]; then
      fix="run \`shipform lock\` to read its digest from the registry again, and commit $LOCK"
    else
      fix="restore the digest $builder's build recorded (git log -p -- $LOCK); its next build records it again"
    fi
    echo "::error::$image@$digest ($where of $LOCK) does not exist in its registry or cannot be read" \
      "there$hint: $why. Fix: $fix"
    failed=$((failed + 1))
    continue
  fi
  if [ "$builder" = - ]; then
    echo "$image@$digest ($where): exists (an image no App builds: not signed by this repository)"
    continue
  fi
  workflow="$WORKFLOWS/$builder-build.yaml"
  if ! cosign verify --certificate-identity-regexp "$(signer "$workflow" "$builder")" \
      --certificate-oidc-issuer "$issuer" "$name@$digest" > /dev/null 2> "$RUNNER_TEMP/why"; then
    why=$(tail -n 1 "$RUNNER_TEMP/why")
    echo "::error::$image@$digest ($where of $LOCK) is not signed by $workflow of this repository on $BRANCH or" \
      "a release tag$hint: $why. Fix: restore the digest $builder's build recorded (git log -p -- $LOCK); only" \
      "digests its build signed may be deployed"
    failed=$((failed + 1))
    continue
  fi
  echo "$image@$digest ($where): exists, signed by $workflow"
done < "$RUNNER_TEMP/lock-digests"
if [ "$failed" -gt 0 ]; then
  echo "::error::$failed of $checked digest(s) in $LOCK cannot be trusted (the lines above name each)"
  exit 1
fi
echo "All $checked digest(s) in $LOCK exist; those of images this repository builds carry its build's signature"
"""
"""Checks every line ``shipform lock list`` wrote: existence with ``skopeo inspect`` (by digest, the tag left out:
a registry serves a digest whatever tags point at it), then for a built image ``cosign verify`` with the build
workflow's identity. Goes on after a bad entry, so that one run names all of them."""


def lock_trust(app: spec.App, context: Context, ref: str) -> Job:
    """The job; ``ref`` is the commit CI checks (see :mod:`shipform.render.workflows`)."""
    logins = login_steps(app.registry, "read")
    needs_credentials = kind_of(app.registry) != "ghcr"  # a fork's read-only token still reads GHCR
    if needs_credentials:
        logins = [{"name": step["name"], "if": CREDENTIALS, **{k: v for k, v in step.items() if k != "name"}}
                  for step in logins]
    steps = [checkout(ref), *setup_python(context, cache=True),
             {"name": "List every digest the lock file holds", "run": LIST,
              "env": {"APP_FILE": context.app_file, "APP": app.name, "LOCK": context.lock_file}},
             *logins, {"name": "Install cosign", **uses("cosign-installer")},
             {"name": "Every digest exists; those of built images carry the build's signature", "run": CHECK,
              "env": {"LOCK": context.lock_file, "BRANCH": context.branch, "WORKFLOWS": WORKFLOWS_DIR,
                      "CREDENTIALS": f"${{{{ {CREDENTIALS} }}}}" if needs_credentials else "true"}}]
    extra = {"environment": LOCK_TRUST_ENVIRONMENT} \
        if uses_secrets(app.registry) or uses_cloud_identity(app.registry) else {}
    return job(f"{app.name}: lock trust", steps, ci_permissions(app), 10, **extra)


def read_secrets(app: spec.App) -> list[str]:
    """The secrets the job's registry login reads (Docker Hub's or another registry's password; none for GHCR and
    the clouds). A workflow that calls CI passes exactly these (a called workflow sees no other repository secret);
    set in the GitHub environment ``lock-trust``, the job reads them there."""
    found = re.findall(r"secrets\.(\w+)", str(login_steps(app.registry, "read")))
    return [name for name in dict.fromkeys(found) if name != "GITHUB_TOKEN"]


def passed_secrets(app: spec.App) -> dict[str, str]:
    """``secrets:`` of a job that calls CI."""
    return {name: f"${{{{ secrets.{name} }}}}" for name in read_secrets(app)}


def ci_permissions(app: spec.App) -> dict[str, str]:
    """What CI's jobs need together: a workflow that calls CI grants its call this much (GitHub refuses a called
    job that asks for more than its caller's job holds)."""
    return {"contents": "read", **registry_permissions(app.registry, push=False)}
