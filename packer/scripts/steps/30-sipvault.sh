#!/bin/bash
# sipvault itself: built under /opt/sipvault/releases/<stamp>, /opt/sipvault/current points at it.
set -euo pipefail
src=$1
stamp=$(date -u +%Y%m%dT%H%M%SZ)
rel=/opt/sipvault/releases/$stamp
install -d /opt/sipvault/releases "$rel"
cp -a "$src/." "$rel/"
"$rel/scripts/image/build-release.sh" "$rel"
chown -R root:root "$rel"
ln -sfn "$rel" /opt/sipvault/current.new
mv -T /opt/sipvault/current.new /opt/sipvault/current
