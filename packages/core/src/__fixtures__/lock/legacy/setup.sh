#!/bin/sh
# Makes the lock file DVC 2 would have written: no `hash:` keys (md5-dos2unix hashes, equal to
# md5 for these LF text files), plus an entry of a stage no longer in dvc.yaml.
set -eu
"$DVC" repro -q
sed -i '/hash: md5/d' dvc.lock
cat >> dvc.lock <<'LOCK'
  gone:
    cmd: echo gone > gone.txt
    outs:
    - path: gone.txt
      md5: 7c0cbd0f1d3e8d5f6b2a8a2f0e0e1c7a
      size: 5
LOCK
cp dvc.lock legacy-before.lock
