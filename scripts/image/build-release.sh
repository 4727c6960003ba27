#!/bin/bash
# Builds a sipvault release in place from its source tree: npm dependencies (native addons are
# compiled against the Node that will run them), the TypeScript build and the web UI (dist/web),
# then only the runtime dependencies are kept. Writes release.json (version, revision, Node ABI)
# for sipvault-update.
# Usage: build-release.sh DIR   (needs the npm registry, a C++ toolchain and python3)
set -euo pipefail
dir=${1:?usage: build-release.sh DIR}
cd "$dir"
[ -f package.json ] && [ -f package-lock.json ] || { echo "build-release.sh: $dir is not a sipvault source tree" >&2; exit 1; }

# Addon headers come with the nodejs package: node-gyp must not try to download them.
export npm_config_nodedir=${npm_config_nodedir:-/usr}
# Node trusts the system's CA store too (an admin's CAs, a proxy's CA on the build machine).
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] || [ ! -s /etc/ssl/certs/ca-certificates.crt ] || export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
npm ci --no-audit --no-fund
node node_modules/typescript/bin/tsc -p tsconfig.json
# The web UI (vite, a devDependency) is built before the dev dependencies go; without it the
# portal serves the API only.
node scripts/build-web.mjs --force
[ -f dist/web/index.html ] || { echo "build-release.sh: the web UI did not build" >&2; exit 1; }
npm prune --omit=dev --no-audit --no-fund
# Prove the addons load with this Node before anything is switched over to this release.
node -e "const D=require('better-sqlite3'); new D(':memory:').close(); const {OpusEncoder}=require('@discordjs/opus'); new OpusEncoder(48000,1);"
node -e "
const fs = require('fs');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const revision = fs.existsSync('REVISION') ? fs.readFileSync('REVISION', 'utf8').trim() : 'unknown';
fs.writeFileSync('release.json', JSON.stringify({ version: pkg.version, revision, node: process.version, nodeModuleAbi: process.versions.modules, builtAt: new Date().toISOString() }, null, 2) + '\n');
"
cat release.json
