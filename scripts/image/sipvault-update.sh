#!/bin/bash
# In-place update of the appliance to another sipvault release, keeping /var/lib/sipvault (the
# catalog and every recording). The release is unpacked next to the running one, checked against
# the current config and Node, the components are stopped, the catalog files are backed up, the
# release is switched, and the catalog migrates itself when opened. If the migration fails, the
# catalog backup and the previous release are put back and started again.
#
# Usage: sipvault-update RELEASE    a release directory or .tar.gz: a built one (has release.json,
#                                   made by build-release.sh) or a source tree, which is built
#                                   here first (needs the npm registry).
# SIPVAULT_ROOT prefixes every path (default: /), for trying an update on a copy.
set -euo pipefail

src=${1:?usage: sipvault-update RELEASE (directory or .tar.gz)}
ROOT=${SIPVAULT_ROOT:-}
OPT=$ROOT/opt/sipvault
CONFIG=${SIPVAULT_CONFIG:-$ROOT/etc/sipvault/sipvault.yaml}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
say() { echo "sipvault-update: $*"; }
die() { echo "sipvault-update: $*" >&2; exit 1; }
systemd_running() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

[ -f "$CONFIG" ] || die "no configuration at $CONFIG"
current=$(readlink -f "$OPT/current" 2>/dev/null || true)
[ -n "$current" ] && [ -d "$current" ] || die "no installed release at $OPT/current"

# 1. Unpack or copy next to the running release.
new=$OPT/releases/$stamp
mkdir -p "$new"
if [ -d "$src" ]; then
	cp -a "$src/." "$new/"
else
	tar -xzf "$src" -C "$new" --strip-components=1
fi
# Until the switch, a failure leaves the running release alone and drops the unpacked one.
discard() { rm -rf "$new"; die "$@"; }
[ -f "$new/package.json" ] || discard "$src is not a sipvault release (no package.json)"
[ -f "$new/release.json" ] || "$new/scripts/image/build-release.sh" "$new"
abi=$(node -p 'process.versions.modules')
built_abi=$(node -p "require('$new/release.json').nodeModuleAbi")
[ "$abi" = "$built_abi" ] || discard "release was built for Node ABI $built_abi, this appliance runs $abi ($(node -v)): build it on the appliance's Node"
version=$(node -p "const r=require('$new/release.json'); r.version + ' (' + r.revision + ')'")
say "new release $version in $new"

# 2. The new release must accept the current configuration before anything stops.
node "$new/bin/sipvault" config check "$CONFIG" || discard "the new release rejects $CONFIG; nothing was changed"
data=$(node "$new/scripts/image/config-get.mjs" --config "$CONFIG" dataDir)
owner=$(stat -c %U "$data")
as_owner() { if [ "$(id -un)" = "$owner" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }

# 3. Stop recording (calls in progress get the grace period), back up the catalog files.
if systemd_running; then
	say "stopping sipvault.target"
	systemctl stop sipvault.target sipvault-recorder.service sipvault-portal.service sipvault-snmp.service sipvault-catalog.service
fi
backup=$data/backups/catalog-$stamp
install -d -m 0750 -o "$owner" -g "$(stat -c %G "$data")" "$data/backups" "$backup"
for f in "$data"/catalog.sqlite "$data"/catalog.sqlite-wal "$data"/catalog.sqlite-shm; do
	[ -e "$f" ] && cp -a "$f" "$backup/"
done
say "catalog backed up to $backup"

switch_to() {
	ln -sfn "$1" "$OPT/current.new"
	mv -T "$OPT/current.new" "$OPT/current"
}
rollback() {
	say "migration failed: restoring the catalog and $current"
	rm -f "$data"/catalog.sqlite "$data"/catalog.sqlite-wal "$data"/catalog.sqlite-shm
	cp -a "$backup"/. "$data/"
	switch_to "$current"
	rm -rf "$new"
	[ ! -x "$current/scripts/image/install-system-files.sh" ] || SIPVAULT_ROOT=$ROOT "$current/scripts/image/install-system-files.sh" "$current"
	if systemd_running; then systemctl start sipvault.target; fi
	exit 1
}

# 4. Switch and migrate (the catalog migrates itself on open; recordings are never touched).
switch_to "$new"
SIPVAULT_ROOT=$ROOT "$new/scripts/image/install-system-files.sh" "$new"
as_owner node "$OPT/current/scripts/image/catalog-migrate.mjs" --config "$CONFIG" || rollback
say "now running $version (previous: $current)"

# 5. Start again; keep the previous release for a manual roll-back, drop older ones.
if systemd_running; then
	systemctl daemon-reload
	systemctl start sipvault.target
fi
for old in $(ls -1d "$OPT"/releases/* | sort | head -n -2); do
	[ "$(readlink -f "$old")" = "$(readlink -f "$OPT/current")" ] || [ "$(readlink -f "$old")" = "$current" ] || rm -rf "$old"
done
