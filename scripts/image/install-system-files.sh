#!/bin/bash
# Puts a release's system files in place: systemd units and drop-ins, the sysusers entry, journald
# rotation, and the configuration files when none exist yet (an
# admin's configuration is never overwritten). Used by the image provisioning and by
# sipvault-update. Usage: install-system-files.sh RELEASE_DIR   (SIPVAULT_ROOT prefixes paths)
set -euo pipefail
rel=${1:?usage: install-system-files.sh RELEASE_DIR}
ROOT=${SIPVAULT_ROOT:-}

units=$ROOT/etc/systemd/system
install -d "$units" "$units/rtpengine-daemon.service.d" "$ROOT/etc/sysusers.d" "$ROOT/etc/systemd/journald.conf.d"
install -m 0644 "$rel"/systemd/*.service "$rel"/systemd/*.target "$units/"
install -m 0644 "$rel/systemd/rtpengine-daemon.service.d/sipvault.conf" "$units/rtpengine-daemon.service.d/sipvault.conf"
install -m 0644 "$rel/systemd/sysusers.d/sipvault.conf" "$ROOT/etc/sysusers.d/sipvault.conf"
install -m 0644 "$rel/systemd/journald.conf.d/sipvault.conf" "$ROOT/etc/systemd/journald.conf.d/sipvault.conf"

install -d -m 0755 "$ROOT/etc/sipvault"
for f in sipvault.yaml rtpengine.conf; do
	if [ -e "$ROOT/etc/sipvault/$f" ]; then
		# Kept; the release's version sits next to it for comparison.
		install -m 0644 "$rel/packer/files/$f" "$ROOT/etc/sipvault/$f.release"
	else
		install -m 0644 "$rel/packer/files/$f" "$ROOT/etc/sipvault/$f"
	fi
done

# The CLI on the PATH, always the current release.
install -d "$ROOT/usr/local/bin" "$ROOT/usr/local/sbin"
ln -sfn /opt/sipvault/current/bin/sipvault "$ROOT/usr/local/bin/sipvault"
ln -sfn /opt/sipvault/current/scripts/image/sipvault-update.sh "$ROOT/usr/local/sbin/sipvault-update"
