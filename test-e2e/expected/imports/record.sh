#!/bin/sh
# Records what the real DVC prints for the `imports` fixture (its import sources cannot be reached),
# the expectations of test-e2e/src/imports.test.ts. Usage: test-e2e/expected/imports/record.sh [dvc]
# DVC's closing "Use `dvc push` …" line is left out (tvc has no remotes yet).
set -eu
DVC=${1:-${TVC_DVC:-dvc}}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q
"$DVC" init -q
cp -R "$here/../../fixtures/imports/." .
git add -A
git -c user.email=e2e@tvc.test -c user.name=e2e commit -q -m fixture
for args in 'repro --dry' 'stage list' 'dag --dot' 'status --json prepare'; do
  name=$(echo "$args" | tr ' ' '-' | sed 's/-\{1,\}/-/g')
  # shellcheck disable=SC2086
  "$DVC" $args | grep -v '^Use `dvc push`' > "$here/$name.stdout" || true
done
