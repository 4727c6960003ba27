#!/bin/bash
# System integration: user, units, configuration, logs, network, services enabled.
set -euo pipefail
rel=/opt/sipvault/current
"$rel/scripts/image/install-system-files.sh" "$rel"

systemd-sysusers /etc/sysusers.d/sipvault.conf
install -d -m 0750 -o sipvault -g sipvault /var/lib/sipvault
node "$rel/bin/sipvault" config check /etc/sipvault/sipvault.yaml

# Persistent journal (rotation limits in journald.conf.d/sipvault.conf).
install -d /var/log/journal

# A new image on an old data disk: a disk labelled sipvault-data is mounted as the data directory.
grep -q 'LABEL=sipvault-data' /etc/fstab 2>/dev/null ||
	echo 'LABEL=sipvault-data /var/lib/sipvault ext4 defaults,nofail,x-systemd.device-timeout=5s 0 2' >>/etc/fstab

# DHCP on the first Ethernet interface, whatever the hypervisor names it; set a static address
# by adding a .network file with a lower number (see packer/README.md).
install -d /etc/systemd/network
cat >/etc/systemd/network/80-sipvault-dhcp.network <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
if [ -e /etc/network/interfaces ] && dpkg-query -W -f='${Status}' ifupdown 2>/dev/null | grep -q 'install ok installed'; then
	# The installer's ifupdown would configure the same interface twice.
	systemctl disable networking.service >/dev/null 2>&1 || true
	printf 'auto lo\niface lo inet loopback\n' >/etc/network/interfaces
fi
echo sipvault >/etc/hostname
# The host name resolves without DNS (first boot puts it in the certificate).
grep -q '^127.0.1.1' /etc/hosts 2>/dev/null || printf '127.0.1.1\tsipvault.localdomain sipvault\n' >>/etc/hosts

systemctl enable systemd-networkd.service systemd-networkd-wait-online.service systemd-timesyncd.service
systemctl enable sipvault.target sipvault-catalog.service sipvault-recorder.service sipvault-portal.service sipvault-snmp.service \
	sipvault-firstboot.service sipvault-firewall.service rtpengine-daemon.service
# Debian's nftables.service would load its own (empty) ruleset; ours is sipvault-firewall.service.
systemctl disable nftables.service >/dev/null 2>&1 || true
# The first boot of an image (empty machine-id) enables units by preset, and Debian's default is
# to enable everything: only the units enabled above may run (not nftables.service, not ssh).
install -d /etc/systemd/system-preset
echo 'disable *' >/etc/systemd/system-preset/99-sipvault.preset
