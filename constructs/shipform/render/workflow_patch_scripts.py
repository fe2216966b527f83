"""The shell scripts of the patch workflow (:mod:`shipform.render.workflow_patch`), written as those of
:mod:`shipform.render.workflow_scripts`: constants, values from ``env:`` and the runner's own variables only,
bash as GitHub runs it (``bash -e {0}``) in the POSIX subset, no pipeline whose failure would go unseen."""

from __future__ import annotations

from shipform.render.workflow_scripts import _FETCH_BRANCH, _IDENTITY, _REMOTE

IMAGES = r"""count=0
matrix='{"include":[]}'
if [ -f "$LOCK" ]; then
  pinned=$(jq -c '[(.environments // {}) | to_entries[] | .key as $e | .value | to_entries[] | [.key, .value, $e]]' \
    "$LOCK")
  images=$(printf '%s' "$pinned" | jq -c 'map({image: ((.[0] | sub(":[^:/]+$"; "")) + "@" + .[1]), env: .[2]})')
  grouped=$(printf '%s' "$images" | jq -c 'group_by(.image) | map({image: .[0].image, envs: map(.env)})')
  grouped=$(printf '%s' "$grouped" | jq -c 'map({image, environments: (.envs | join(", "))})')
  matrix=$(printf '%s' "$grouped" | jq -c 'to_entries | map(.value + {index: .key}) | {include: .}')
  count=$(printf '%s' "$matrix" | jq '.include | length')
fi
{
  echo "matrix=$matrix"
  echo "count=$count"
} >> "$GITHUB_OUTPUT"
echo "$count digest(s) pinned in $LOCK to scan"
"""
"""The digests every Environment runs, from the lock file of the default branch: one matrix entry per
``name@digest`` (an image run by several Environments is scanned once), with the Environments that run it and
its index (which names its result's artifact)."""

REFRESH = "\n".join([_IDENTITY, r"""base=$(git rev-parse HEAD)
mkdir -p "$RUNNER_TEMP/patch"
shipform lock "$APP_FILE" > "$RUNNER_TEMP/patch/changes.txt"
cat "$RUNNER_TEMP/patch/changes.txt"
shipform synth "$APP_FILE" --outdir "$OUTDIR"
git add -- "$OUTPUT"
if [ -e "$LOCK" ]; then git add -- "$LOCK"; fi
if git diff --cached --quiet; then
  echo "Every pinned digest is current: nothing to change"
  exit 0
fi
git switch --quiet -c "$PATCH_BRANCH"
git commit --quiet -m "$APP: refresh the pinned digests"
git bundle create --quiet "$RUNNER_TEMP/patch/patch.bundle" HEAD "^$base"
echo "prepared=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
"""])
"""Re-resolve every pinned digest (``shipform lock``) and synthesize; when the lock or the output changed,
commit exactly those on the patch branch and hand the commit (a bundle) and what ``shipform lock`` printed to
the publish job. Runs the app file: no token in its environment."""

SCANNED = r"""mkdir -p "$RUNNER_TEMP/scan"
if [ "$OUTCOME" = success ]; then
  result="none"
else
  result="**FAILED**: fixable critical vulnerabilities, or the scan could not run (its log says which)"
fi
printf '%s\t%s\t%s\n' "$IMAGE" "$ENVIRONMENTS" "$result" > "$RUNNER_TEMP/scan/$INDEX.tsv"
printf '| %s | %s | %s |\n' "$IMAGE" "$ENVIRONMENTS" "$result" >> "$GITHUB_STEP_SUMMARY"
echo "$IMAGE ($ENVIRONMENTS): $result"
"""
"""One scan's line (image, Environments, result) for the summary, kept as the job's artifact and in its own job
summary."""

PUBLISH = "\n".join([r"""summary="$RUNNER_TEMP/summary.md"
mkdir -p "$RUNNER_TEMP/scans"
scanned=0
{
  echo "### $APP: trivy image on every digest an Environment runs"
  echo
  echo "Fixable critical vulnerabilities (severity CRITICAL, unfixed ones ignored):"
  echo
  echo "| image | Environments | result |"
  echo "| --- | --- | --- |"
  for line in "$RUNNER_TEMP"/scans/*.tsv; do
    if [ ! -f "$line" ]; then continue; fi
    IFS="$(printf '\t')" read -r image environments result < "$line"
    printf '| %s | %s | %s |\n' "$image" "$environments" "$result"
    scanned=$((scanned + 1))
  done
  echo
  echo "$scanned of $COUNT digest(s) scanned (the rescan job: $SCAN)."
} > "$summary"
cat "$summary" >> "$GITHUB_STEP_SUMMARY"
cat "$summary"
""".rstrip("\n"), _REMOTE, r"""GH_HOST=${GITHUB_SERVER_URL#*://}
export GH_HOST
open=$(gh pr list --repo "$GITHUB_REPOSITORY" --head "$PATCH_BRANCH" --base "$BRANCH" --state open \
  --json number --jq '.[].number')
if [ -n "$COMMIT" ]; then""", "  " + _FETCH_BRANCH, r"""  in_clean fetch --quiet "$RUNNER_TEMP/patch/patch.bundle" HEAD
  authorized push --quiet --force "$remote" "$COMMIT:refs/heads/$PATCH_BRANCH"
  echo "commit=$COMMIT" >> "$GITHUB_OUTPUT"
  {
    echo "Every pinned digest re-resolved by shipform lock, then synthesized. Merging rebuilds exactly the images"
    echo "whose Dockerfile changed. What shipform lock changed:"
    echo
    sed 's/^/    /' "$RUNNER_TEMP/patch/changes.txt"
    echo
    cat "$summary"
  } > "$RUNNER_TEMP/body.md"
  body=$(cat "$RUNNER_TEMP/body.md")
  if [ -n "$open" ]; then
    gh pr edit "$open" --repo "$GITHUB_REPOSITORY" --body "$body" > /dev/null
    echo "Pull request #$open now refreshes the digests as $COMMIT"
  else
    gh pr create --repo "$GITHUB_REPOSITORY" --base "$BRANCH" --head "$PATCH_BRANCH" \
      --title "$APP: refresh the pinned digests" --body "$body"
  fi
elif [ -n "$open" ]; then
  body=$(printf '%s\n\n%s\n' "$BRANCH already has every digest this pull request pinned: nothing left to change." \
    "$(cat "$summary")")
  gh pr edit "$open" --repo "$GITHUB_REPOSITORY" --body "$body" > /dev/null
  echo "Nothing moved; pull request #$open has the rescan's summary"
else
  echo "Nothing moved: no pull request"
fi
"""])
"""The rescan's summary (job summary and log), then, when the refresh prepared a commit, a forced push of it to
the patch branch and its one pull request, opened or updated (never a second: ``gh pr list`` finds the open one
by its branch), with what ``shipform lock`` changed and the summary as its body. Holds the token, runs nothing
of the app."""
