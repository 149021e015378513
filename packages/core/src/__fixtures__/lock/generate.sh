#!/bin/sh
# Regenerates the lock-file fixtures with real DVC: each case is built in a temporary git repo,
# `dvc repro` runs, and dvc.lock and the run-cache (.dvc/cache/runs) are copied here.
#   DVC=/path/to/dvc ./generate.sh
set -eu
DVC=${DVC:-/work/dvcenv/bin/dvc}
HERE=$(cd "$(dirname "$0")" && pwd)
export DVC DVC_NO_ANALYTICS=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

start() { # start <case>: a fresh repo with the case's inputs
  CASE=$1
  REPO="$WORK/$CASE"
  rm -rf "$REPO"
  mkdir -p "$REPO"
  cp -R "$HERE/$CASE/input/." "$REPO/"
  cd "$REPO"
  git init -q
  "$DVC" init -q
}

collect() { # collect <name>: dvc.lock (and the run-cache) as <name>.lock, runs/<name>/
  find . -name dvc.lock -not -path './.dvc/*' | while read -r lock; do
    dir=$(dirname "$lock" | sed 's#^\./##; s#^\.$##; s#/#__#g')
    cp "$lock" "$HERE/$CASE/$1${dir:+.$dir}.lock"
  done
  rm -rf "$HERE/$CASE/runs/$1"
  if [ -d .dvc/cache/runs ]; then
    mkdir -p "$HERE/$CASE/runs/$1"
    (cd .dvc/cache/runs && find . -type f | sed 's#^\./##' | sort) > "$HERE/$CASE/runs/$1/index.txt"
    (cd .dvc/cache/runs && find . -type f | while read -r f; do
      cp "$f" "$HERE/$CASE/runs/$1/$(basename "$f").yaml"
    done)
  fi
}

for dir in "$HERE"/*/; do
  CASE=$(basename "$dir")
  [ -d "$dir/input" ] || continue
  start "$CASE"
  [ -x "$HERE/$CASE/setup.sh" ] && "$HERE/$CASE/setup.sh"
  "$DVC" repro -q
  collect expected
  if [ -x "$HERE/$CASE/change.sh" ]; then
    "$HERE/$CASE/change.sh"
    "$DVC" repro -q
    collect changed
  fi
done
