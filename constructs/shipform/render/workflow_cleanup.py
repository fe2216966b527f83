"""``<app>-cleanup.yaml`` (with ``App(keep_images_days=N)``): weekly, and by hand as a dry run, from the default
branch only. For each repository the app builds it deletes the ``sha-<commit>`` tags whose digest the lock file
on the default branch does not name and whose commit is older than N days, with their signatures and attestations
(the referrers listed at the fallback tag ``sha256-<hex>``, and cosign v2's ``.sig``/``.att``/``.sbom`` tags);
every other tag stays, and so does a digest any kept tag also names (deleting a manifest deletes all its tags).

The age is the tagged commit's committer date, from git: the tag names the commit, the build runs when the commit
lands on the branch, and git gives the same answer on every run. The image's ``org.opencontainers.image.created``
label is the date its inputs last changed (``SOURCE_DATE_EPOCH``, for reproducible builds), which says nothing
about when the tag was pushed: an image built today from inputs untouched for a year would look a year old. A tag
whose commit the repository does not have is kept (its age is unknown).

GHCR refuses the registry API's manifest DELETE: there the packages REST API lists the versions (a version is a
digest, with its tags) and deletes them (``gh api``, the workflow's token with ``packages: write``). Any other
registry: ``skopeo list-tags``, ``inspect`` and ``delete``, logged in as the build's push identity.

No dispatch input: a run started by hand only prints what the schedule would delete (a dispatch input is a user
parameter checkov's CKV_GHA_7 refuses)."""

from __future__ import annotations

from typing import Any

from shipform import spec
from shipform.render.output import Context
from shipform.render.registries import kind_of, login_steps, registry_permissions, uses_cloud_identity, uses_secrets
from shipform.render.workflow_common import RELEASE_ENVIRONMENT, Job, built_images, checkout, job, workflow

SCHEDULE = "17 3 * * 1"
"""Mondays at 03:17 UTC: off the full hour, when GitHub delays scheduled runs most."""

REASONS = {("packages", "write"): "list and delete package versions (GHCR's packages API)"}
"""This workflow's own reason for a permission another workflow holds for something else."""

CLEANUP = r"""set -o pipefail
tab=$(printf '\t')
if [ ! -f "$LOCK" ]; then
  echo "::warning::$LOCK does not exist: no digest is known to be unused, nothing is deleted"
  exit 0
fi
work=$(mktemp -d "$RUNNER_TEMP/cleanup.XXXXXX")
# Every digest the lock names, in any section (Environments, built images, ...): none of them is deleted.
jq -r '.. | strings | select(test("^sha256:[0-9a-f]{64}$"))' "$LOCK" | sort -u > "$work/referenced"
limit=$(( $(date +%s) - KEEP_DAYS * 86400 ))
if [ "$DRY_RUN" = true ]; then verb="would be deleted"; else verb=deleted; fi

# GHCR: the packages API (https://docs.github.com/rest/packages/packages); a version is a digest with its tags.
ghcr_versions() {
  owner=${1#ghcr.io/}
  owner=${owner%%/*}
  package=$(printf '%s' "${1#ghcr.io/"$owner"/}" | jq -sRr @uri)
  if [ "$(gh api "users/$owner" --jq .type)" = Organization ]; then scope=orgs; else scope=users; fi
  versions="$scope/$owner/packages/container/$package/versions"
  if ! gh api --paginate "$versions?per_page=100" > "$work/pages" 2> "$work/error"; then
    if grep -q 'HTTP 404' "$work/error"; then
      echo "$1: nothing pushed yet" >&2
      echo '[]'
      return 0
    fi
    cat "$work/error" >&2
    return 1
  fi
  jq -s 'add // []' "$work/pages"
}

# "tag<TAB>digest" for each tag of the repository (none when it does not exist yet).
list_tags() {
  if [ "$KIND" = ghcr ]; then
    ghcr_versions "$1" > "$work/versions"
    jq -r '.[] | .name as $digest | (.metadata.container.tags // [])[] | [., $digest] | @tsv' "$work/versions"
    return 0
  fi
  if ! skopeo list-tags "docker://$1" > "$work/list" 2> "$work/error"; then
    if grep -qi 'name unknown\|not known to registry\|404' "$work/error"; then
      echo "$1: nothing pushed yet" >&2
      return 0
    fi
    cat "$work/error" >&2
    return 1
  fi
  jq -r '.Tags[]?' "$work/list" > "$work/names"
  while IFS= read -r tag <&3; do
    hex=$(skopeo inspect --raw "docker://$1:$tag" | sha256sum | cut -d ' ' -f 1)
    printf '%s\tsha256:%s\n' "$tag" "$hex"
  done 3< "$work/names"
}

delete_digest() {
  echo "$1@$2 $verb: $3"
  if [ "$DRY_RUN" = true ]; then return 0; fi
  if [ "$KIND" = ghcr ]; then
    id=$(jq -r --arg digest "$2" '.[] | select(.name == $digest) | .id' "$work/versions")
    if [ -z "$id" ]; then echo "::warning::$1@$2: no package version holds it"; return 0; fi
    gh api --method DELETE "$versions/$id" > /dev/null
  else
    skopeo delete "docker://$1@$2"
  fi
}

# Why the tag stays; nothing when it may go.
keep_reason() {
  case $1 in
    sha-*) ;;
    *) echo "not a sha- tag (a version tag is never deleted)"; return 0 ;;
  esac
  if grep -qxF "$2" "$work/referenced"; then echo "the lock names its digest"; return 0; fi
  commit=${1#sha-}
  case $commit in
    *[!0-9a-f]*) echo "not sha-<commit>"; return 0 ;;
  esac
  if [ "${#commit}" -ne 40 ] && [ "${#commit}" -ne 64 ]; then echo "not sha-<commit>"; return 0; fi
  if ! git cat-file -e "$commit^{commit}" 2> /dev/null; then
    echo "commit $commit is not in this repository: its age is unknown"
    return 0
  fi
  committed=$(git log -1 --format=%ct "$commit")
  if [ "$committed" -gt "$limit" ]; then
    echo "committed $(( ($(date +%s) - committed) / 86400 )) days ago, less than $KEEP_DAYS"
  fi
}

for repository in $REPOSITORIES; do
  list_tags "$repository" > "$work/tags"
  : > "$work/kept"
  : > "$work/candidates"
  : > "$work/doomed"
  while IFS="$tab" read -r tag digest <&3; do
    case $tag in sha256-*) continue ;; esac  # a digest's referrers: they go with it
    reason=$(keep_reason "$tag" "$digest")
    if [ -n "$reason" ]; then
      echo "$repository:$tag kept: $reason"
      echo "$digest" >> "$work/kept"
    else
      committed=$(git log -1 --format=%ct "${tag#sha-}")
      printf '%s\t%s\t%s\n' "$tag" "$digest" "$(( ($(date +%s) - committed) / 86400 ))" >> "$work/candidates"
    fi
  done 3< "$work/tags"
  while IFS="$tab" read -r tag digest days <&3; do
    why="no lock entry names its digest, committed $days days ago"
    if grep -qxF "$digest" "$work/kept"; then
      echo "$repository:$tag kept: $why, but a kept tag names the same digest"
    else
      echo "$repository:$tag $verb: $why"
      echo "$digest" >> "$work/doomed"
    fi
  done 3< "$work/candidates"
  sort -u -o "$work/doomed" "$work/doomed"
  while IFS= read -r digest <&3; do
    fallback=sha256-${digest#sha256:}
    index=$(awk -F "$tab" -v tag="$fallback" '$1 == tag { print $2 }' "$work/tags")
    if [ -n "$index" ]; then
      skopeo inspect --raw "docker://$repository:$fallback" | jq -r '.manifests[]?.digest' > "$work/referrers"
      while IFS= read -r referrer <&4; do
        if ! grep -qxF "$referrer" "$work/kept"; then
          delete_digest "$repository" "$referrer" "a signature or attestation of $digest"
        fi
      done 4< "$work/referrers"
      delete_digest "$repository" "$index" "the referrers index of $digest (tag $fallback)"
    fi
    awk -F "$tab" -v prefix="$fallback." 'index($1, prefix) == 1 { print $1 "\t" $2 }' "$work/tags" > "$work/legacy"
    while IFS="$tab" read -r tag legacy <&4; do
      delete_digest "$repository" "$legacy" "cosign's $tag of $digest"
    done 4< "$work/legacy"
    delete_digest "$repository" "$digest" "no kept tag names it"
  done 3< "$work/doomed"
done
"""
"""Decide tag by tag (one line each, with the reason), then delete each unused digest's referrers first and the
digest last: a run stopped half-way leaves the image, which the next run finds again."""


def cleanup(app: spec.App, context: Context) -> dict[str, Any] | None:
    images = built_images(app, context)
    if app.keep_images_days is None or not images or app.record_environment is None:
        return None
    kind = "ghcr" if kind_of(app.registry) == "ghcr" else "registry"
    env = {"REPOSITORIES": "\n".join(i.repository for i in images), "LOCK": context.lock_file,
           "KEEP_DAYS": str(app.keep_images_days), "KIND": kind,
           "DRY_RUN": "${{ github.event_name != 'schedule' }}"}
    if kind == "ghcr":
        env["GH_TOKEN"] = "${{ github.token }}"
    steps = [checkout(history=True),  # the tagged commits' dates
             *login_steps(app.registry, "push"),
             {"name": f"Delete unused sha- tags older than {app.keep_images_days} days", "run": CLEANUP,
              "env": env}]
    permissions = {"contents": "read", **registry_permissions(app.registry)}
    if uses_cloud_identity(app.registry):
        permissions["id-token"] = "write"  # the push identity's login
    extra: dict[str, Any] = {"if": f"github.ref == 'refs/heads/{context.branch}'"}
    if uses_secrets(app.registry) or uses_cloud_identity(app.registry):
        extra["environment"] = RELEASE_ENVIRONMENT  # where the push identity and the registry password live
    jobs: dict[str, Job] = {"cleanup": job(f"{app.name}: delete unused images", steps, permissions, 30, **extra)}
    on = {"schedule": [{"cron": SCHEDULE}], "workflow_dispatch": {}}
    return workflow(f"{app.name} cleanup", on, jobs, "${{ github.workflow }}")
