#!/bin/bash
# The sipvault source the image is built from: the git tree (committed, plus uncommitted changes
# to tracked files) with a REVISION file, as sipvault/ in a .tar.gz.
# Usage: source-tarball.sh OUT.tar.gz
set -euo pipefail
out=${1:?usage: source-tarball.sh OUT.tar.gz}
repo=$(git -C "$(dirname "$(readlink -f "$0")")" rev-parse --show-toplevel)
rev=$(git -C "$repo" stash create)
[ -n "$rev" ] || rev=HEAD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sipvault"
git -C "$repo" archive "$rev" | tar -x -C "$tmp/sipvault"
git -C "$repo" describe --always --dirty >"$tmp/sipvault/REVISION"
mkdir -p "$(dirname "$out")"
tar -czf "$out" -C "$tmp" sipvault
echo "source $(cat "$tmp/sipvault/REVISION") -> $out"
