"""The shell scripts of the build and promotion workflows. Each is a constant: everything it needs comes from
``env:`` (set from the app, from ``matrix`` or from a step's outputs) and from the variables every GitHub
runner sets (GITHUB_OUTPUT, RUNNER_TEMP, GITHUB_SERVER_URL, GITHUB_REPOSITORY, ...), so a test runs the same
text with its own values, and no ``${{ }}`` ever reaches a script. They are bash as GitHub runs it
(``bash -e {0}``), written in the POSIX subset."""

from __future__ import annotations

BOT = ("github-actions[bot]", "41898828+github-actions[bot]@users.noreply.github.com")

# The inputs of an image: the git tree of its build context, the blob of its Dockerfile and, when there is
# one, of the Dockerfile's own ignore file (BuildKit reads <Dockerfile>.dockerignore), at HEAD.
_INPUTS_OF = r"""inputs_of() {
  context=$1
  if [ "$context" = . ]; then context=; fi
  tree=$(git rev-parse --verify --quiet "HEAD:$context") || return 1
  blob=$(git rev-parse --verify --quiet "HEAD:$2") || return 1
  if ignore=$(git rev-parse --verify --quiet "HEAD:$2.dockerignore"); then
    printf '%s+%s+%s\n' "$tree" "$blob" "$ignore"
  else
    printf '%s+%s\n' "$tree" "$blob"
  fi
}"""

# The token goes to git as an HTTP header for one command at a time (as actions/checkout does), never into
# .git/config or a URL; the remote is the server the workflow runs on (GitHub Enterprise included). A step that
# holds the token runs no code of the app and uses a repository of its own, made empty (no template) right
# there and used with hooks off: an earlier step that ran the app may have changed the work tree's .git (hooks,
# fsmonitor, url.insteadOf), and none of that reaches the command that sends the token.
_FETCH_BRANCH = 'authorized fetch --quiet --no-tags "$remote" "+refs/heads/$BRANCH:refs/heads/$BRANCH"'
_REMOTE = r"""remote="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY.git"
basic=$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\n')
echo "::add-mask::$basic"
clean=$(mktemp -d "$RUNNER_TEMP/clean.XXXXXX")
git init --quiet --bare --template= "$clean"
in_clean() { git --git-dir="$clean" -c core.hooksPath=/dev/null -c core.fsmonitor=false "$@"; }
authorized() { in_clean -c "http.extraheader=AUTHORIZATION: basic $basic" "$@"; }"""

_IDENTITY = f"""git config user.name "{BOT[0]}"
git config user.email "{BOT[1]}\""""

TARGET = r"""if [ "$REF_TYPE" = tag ]; then
  case "$REF_NAME" in
    "v$VERSION" | "$APP/v$VERSION") tag=$VERSION ;;
    *)
      echo "::error::The tag $REF_NAME is not $APP's version $VERSION:" \
        "tag v$VERSION (or $APP/v$VERSION), or change App(version=...)"
      exit 1
      ;;
  esac
else
  tag=sha-$SHA
fi
echo "tag=$tag" >> "$GITHUB_OUTPUT"
echo "$APP pushes its images as :$tag"
"""
"""The tag a build pushes: sha-<commit> on a branch; on a release tag the App's version, refused when the git tag
names another version."""

PLAN = _INPUTS_OF + r"""
inputs=$(inputs_of "$CONTEXT" "$DOCKERFILE")
revision=$(git log -1 --format=%H -- "$CONTEXT" "$DOCKERFILE" "$DOCKERFILE.dockerignore")
epoch=$(git log -1 --format=%ct "$revision")
created=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ "$revision")
recorded=
if [ -f "$LOCK" ]; then
  recorded=$(jq -r --arg name "$REPOSITORY" --arg inputs "$inputs" \
    '(.built // {})[$name] // {} | select(.inputs == $inputs) | .digest // empty' "$LOCK")
fi
action=build
digest=
if skopeo inspect --raw "docker://$REPOSITORY:$TAG" > "$RUNNER_TEMP/existing.json" 2> /dev/null; then
  found=$(skopeo inspect --format '{{ index .Labels "shipform.inputs" }}' "docker://$REPOSITORY:$TAG")
  if [ "$found" != "$inputs" ]; then
    echo "::error::$REPOSITORY:$TAG exists, built from other inputs ($found, not $inputs); a tag is never overwritten"
    exit 1
  fi
  action=pushed
  digest=sha256:$(sha256sum < "$RUNNER_TEMP/existing.json" | cut -d ' ' -f 1)
elif [ -n "$recorded" ]; then
  action=recorded
  digest=$recorded
fi
{
  echo "action=$action"
  echo "digest=$digest"
  echo "inputs=$inputs"
  echo "revision=$revision"
  echo "epoch=$epoch"
  echo "created=$created"
} >> "$GITHUB_OUTPUT"
case $action in
  build) echo "$REPOSITORY: inputs $inputs (last changed in $revision) are new: building" ;;
  pushed) echo "$REPOSITORY:$TAG was pushed from these inputs already: $digest" ;;
  recorded) echo "$REPOSITORY: inputs $inputs are recorded in $LOCK as $digest: not built again" ;;
esac"""
"""Whether the image is built: not when the lock records a digest for the same inputs (the recorded digest is
used) nor when the tag this build pushes exists already with the same inputs (a re-run); an existing tag
with other inputs stops the job, since a tag is never overwritten."""

PUSH = r"""skopeo copy --all --preserve-digests --digestfile "$RUNNER_TEMP/digest" \
  "oci:$RUNNER_TEMP/image" "docker://$REPOSITORY:$TAG"
echo "digest=$(cat "$RUNNER_TEMP/digest")" >> "$GITHUB_OUTPUT"
"""
"""Push the scanned OCI layout exactly as built: the digest the registry holds is the one scanned and signed."""

RETAG = r"""skopeo copy --all --preserve-digests "docker://$REPOSITORY@$DIGEST" "docker://$REPOSITORY:$TAG"
echo "$REPOSITORY:$TAG is $DIGEST (built before from the same inputs)"
"""

HAND_OVER = r"""mkdir -p "$RUNNER_TEMP/digests"
printf '%s\n' "$REPOSITORY@$DIGEST" "$INPUTS" "$REVISION" "$CONTEXT" "$DOCKERFILE" > "$RUNNER_TEMP/digests/$NAME"
"""
"""One file per image for the record job, outside the work tree: image@digest, inputs, revision, context and
Dockerfile, one per line."""

FETCH = "\n".join([_REMOTE, _FETCH_BRANCH,
                   r"""echo "repository=$clean" >> "$GITHUB_OUTPUT"
echo "Fetched $BRANCH at $(in_clean rev-parse "refs/heads/$BRANCH")"
"""])
"""The branch's newest commit, into a new repository in the runner's temporary folder that the next step (without
the token) reads (its path is the step's output ``repository``)."""

RECORD = "\n".join([_INPUTS_OF, _IDENTITY, r"""git fetch --quiet --no-tags "$FETCHED" "$BRANCH"
git reset --quiet --hard FETCH_HEAD
git clean -fdq -- "$OUTPUT" "$LOCK"
base=$(git rev-parse HEAD)
changed=false
if ! shipform synth "$APP_FILE" --outdir "$OUTDIR" --check; then
  echo "::warning::The output committed on $BRANCH is not what its app synthesizes: nothing is recorded" \
    "on it (its own CI fails; the build of its fix records the images)"
else
  set --
  for file in "$RUNNER_TEMP"/digests/*; do
    [ -f "$file" ] || continue
    { read -r ref; read -r inputs; read -r revision; read -r context; read -r dockerfile; } < "$file"
    name=${ref%@*}
    if [ "$(inputs_of "$context" "$dockerfile" || true)" = "$inputs" ]; then
      set -- "$@" "$ref" --inputs "$name=$inputs" --revision "$name=$revision"
    else
      echo "$name: its inputs changed on $BRANCH after $SOURCE; the build of that change records it"
    fi
  done
  if [ "$#" -gt 0 ]; then
    shipform lock record "$APP_FILE" --env "$FIRST" --skip-not-built "$@"
    shipform synth "$APP_FILE" --outdir "$OUTDIR"
  fi
  git add -- "$OUTPUT"
  if [ -e "$LOCK" ]; then git add -- "$LOCK"; fi
  if git diff --cached --quiet; then
    echo "Nothing to record: $BRANCH already deploys these images to $FIRST"
  else
    git commit --quiet -m "$APP: deploy the images built from $SOURCE to $FIRST"
    git bundle create --quiet "$RUNNER_TEMP/record.bundle" HEAD "^$base"
    changed=true
  fi
fi
{
  echo "changed=$changed"
  echo "commit=$(git rev-parse HEAD)"
} >> "$GITHUB_OUTPUT"
"""])
"""Record the digests on the branch's newest commit (fetched by the step before): record the images whose inputs
there are still the ones built (a newer build records the others), synthesize, commit exactly the lock file and
the app's output, and hand the commit to the next step as a bundle. Runs the app file: no token in its
environment. Nothing to commit is a success."""

PUSH_RECORD = "\n".join([_REMOTE, _FETCH_BRANCH,
                         r"""in_clean fetch --quiet "$RUNNER_TEMP/record.bundle" HEAD
if authorized push --quiet "$remote" "$COMMIT:refs/heads/$BRANCH"; then
  echo "Recorded on $BRANCH as $COMMIT"
  echo "commit=$COMMIT" >> "$GITHUB_OUTPUT"
elif [ "$TRY" -lt "$TRIES" ]; then
  echo "moved=true" >> "$GITHUB_OUTPUT"
  echo "$BRANCH moved on; trying again from its new head ($((TRY + 1)) of $TRIES)"
else
  echo "::error::$BRANCH moved on during each of $TRIES tries; run the job again"
  exit 1
fi
"""])
"""Push the record commit (the bundle the step before wrote) to the branch, never forced: when the branch moved
since the fetch the push is refused, and the next try fetches, records and pushes again from the new head."""

SIGNER = r"""escape() { printf '%s' "$1" | sed 's/[][\\.*^()+?{}|]/\\&/g'; }
signer() {
  printf '^%s@refs/(heads/%s|tags/v.+|tags/%s/v.+)$' "$(escape "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/$1")" \
    "$(escape "$BRANCH")" "$(escape "$2")"
}"""
"""``signer <build workflow file> <App>``: the certificate identity (a regular expression) of a signature made by
that App's build workflow of this repository, run on the default branch ``$BRANCH`` or on one of the App's release
tags. ``escape`` leaves a '$' as it is: no repository or workflow name holds one, and in a branch name it would
make the match fail, never pass. Shared by the promotion's verification and CI's lock trust check."""

VERIFY = SIGNER + r"""
identity=$(signer "$WORKFLOW" "$APP")
issuer=https://token.actions.githubusercontent.com
if [ ! -f "$LOCK" ]; then
  echo "$LOCK does not exist: nothing to verify"
  exit 0
fi
trust=()
if [ "$VISIBILITY" != public ]; then
  gh attestation trusted-root \
    | jq -c 'select(any(.certificateAuthorities[]?; (.uri // "") | contains("githubapp.com")))' \
    > "$RUNNER_TEMP/github_trusted_root.json"
  trust=(--trusted-root "$RUNNER_TEMP/github_trusted_root.json")
fi
for repository in $REPOSITORIES; do
  digests=$(jq -r --arg env "$FROM" --arg name "$repository" \
    '(.environments[$env] // {}) | to_entries[] | select(.key | startswith($name + ":")) | .value' "$LOCK")
  for digest in $digests; do
    cosign verify --certificate-identity-regexp "$identity" --certificate-oidc-issuer "$issuer" \
      "$repository@$digest" > /dev/null
    cosign verify-attestation "${trust[@]}" --type slsaprovenance1 --certificate-identity-regexp "$identity" \
      --certificate-oidc-issuer "$issuer" "$repository@$digest" > /dev/null
    echo "$repository@$digest: signed, with build provenance, by $WORKFLOW on $BRANCH or a release tag"
  done
done
"""
"""Before a digest of the source Environment is written into the next one, its signature and its SLSA provenance
(v1, as actions/attest writes it) must come from this repository's build workflow, run on the default branch
or a release tag. In a private or internal repository actions/attest signs the provenance with GitHub's own
Sigstore instance, not the public-good one cosign trusts by default: the attestation is verified against GitHub's
trusted root, the line of ``gh attestation trusted-root`` whose authority is GitHub's Fulcio (cosign reads one
root from the file). The signature is cosign's own, from the public-good instance."""

PROMOTE = "\n".join([_IDENTITY, r"""base=$(git rev-parse HEAD)
shipform promote "$APP_FILE" --from "$FROM" --to "$TO"
shipform synth "$APP_FILE" --outdir "$OUTDIR"
git add -- "$OUTPUT"
if [ -e "$LOCK" ]; then git add -- "$LOCK"; fi
if git diff --cached --quiet; then
  echo "$TO already runs what $FROM runs: nothing to promote"
  exit 0
fi
git switch --quiet -c "promote/$FROM-to-$TO"
git commit --quiet -m "$APP: promote $FROM to $TO"
git bundle create --quiet "$RUNNER_TEMP/promotion.bundle" HEAD "^$base"
echo "prepared=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
"""])
"""Promote and synthesize; when anything changed, commit on branch promote/<from>-to-<to> and hand the commit to
the next step as a bundle. Runs the app file: no token in its environment. Nothing changed is a success with a
message."""

PUBLISH = "\n".join([_REMOTE, _FETCH_BRANCH, r"""head="promote/$FROM-to-$TO"
in_clean fetch --quiet "$RUNNER_TEMP/promotion.bundle" HEAD
authorized push --quiet --force "$remote" "$COMMIT:refs/heads/$head"
echo "commit=$COMMIT" >> "$GITHUB_OUTPUT"
GH_HOST=${GITHUB_SERVER_URL#*://}
export GH_HOST
open=$(gh pr list --repo "$GITHUB_REPOSITORY" --head "$head" --base "$BRANCH" --state open \
  --json number --jq '.[].number')
if [ -n "$open" ]; then
  echo "Pull request #$open now promotes $COMMIT"
else
  gh pr create --repo "$GITHUB_REPOSITORY" --base "$BRANCH" --head "$head" --title "$APP: promote $FROM to $TO" \
    --body "The digests verified in $FROM (signature and build provenance), copied to $TO by shipform promote."
fi
"""])
"""Push the promotion commit (the bundle the step before wrote) to branch promote/<from>-to-<to> and open (or
update) its pull request: holds the token, runs nothing of the app."""

REPORT = r"""GH_HOST=${GITHUB_SERVER_URL#*://}
export GH_HOST
printf '%s\n' "$CHECKS" | while IFS= read -r check; do
  gh api --method POST "repos/$GITHUB_REPOSITORY/statuses/$SHA" -f state="$STATE" -f context="$check" \
    -f description="$DESCRIPTION" \
    -f target_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID" > /dev/null
  echo "$check: $STATE on $SHA"
done
"""
"""CI's result as a commit status on the promotion's (or the patch's) commit, under each CI job's check name (a pull
request opened with the workflow's own token starts no workflow, so its required checks would never report)."""
