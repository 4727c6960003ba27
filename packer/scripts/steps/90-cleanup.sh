#!/bin/bash
# What the image must not carry: compilers, caches, build-time identity.
set -euo pipefail
# Marked automatic, so autoremove takes them unless something the appliance runs needs them.
apt-mark auto build-essential python3 >/dev/null
apt-get autoremove -y -qq --purge >/dev/null
# Build-time trust (a proxy's CA handed in by the proof build) does not stay in the image.
if [ -n "${SIPVAULT_BUILD_CA_FILES:-}" ]; then
	for f in $SIPVAULT_BUILD_CA_FILES; do rm -f "/usr/local/share/ca-certificates/$f"; done
	update-ca-certificates --fresh >/dev/null
fi
apt-get clean
rm -rf /var/lib/apt/lists/* /root/.npm /root/.cache /tmp/* /var/tmp/*
# Every VM made from the image gets its own machine id and SSH host keys.
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
# SSH was only the packer build's way in: the firewall does not open it and it is not started.
if [ -e /lib/systemd/system/ssh.service ]; then
	systemctl disable ssh.service >/dev/null 2>&1 || true
	rm -f /etc/ssh/ssh_host_* /etc/ssh/sshd_config.d/packer-build.conf
fi
