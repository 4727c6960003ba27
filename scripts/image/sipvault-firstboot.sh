#!/bin/bash
# First boot of the appliance (sipvault-firstboot.service, once): the portal's TLS certificate,
# the admin account with a random password, and a console message saying how to log in.
# Safe to run again: it keeps an existing certificate and never touches existing accounts.
set -euo pipefail

CONFIG=${SIPVAULT_CONFIG:-/etc/sipvault/sipvault.yaml}
RELEASE=${SIPVAULT_RELEASE:-/opt/sipvault/current}
TLS_DIR=${SIPVAULT_TLS_DIR:-/etc/sipvault/tls}
ISSUE_DIR=${SIPVAULT_ISSUE_DIR:-/etc/issue.d}
CONSOLE=${SIPVAULT_CONSOLE:-/dev/console}
RUN_AS=${SIPVAULT_USER:-sipvault}

sipvault() {
	if [ "$(id -un)" = "$RUN_AS" ]; then /usr/bin/node "$RELEASE/bin/sipvault" "$@"; else runuser -u "$RUN_AS" -- /usr/bin/node "$RELEASE/bin/sipvault" "$@"; fi
}

DATA_DIR=$(/usr/bin/node "$RELEASE/scripts/image/config-get.mjs" --config "$CONFIG" dataDir)
install -d -m 0750 -o "$RUN_AS" -g "$RUN_AS" "$DATA_DIR"

# TLS: a self-signed certificate for this host's name and addresses, served by the portal itself
# (portal.tls.cert and key in the shipped config). Replace the two files with a certificate from
# your CA at any time (then: systemctl restart sipvault-portal.service); the key must stay
# readable by the sipvault group.
install -d -m 0750 -o root -g "$RUN_AS" "$TLS_DIR"
if [ ! -s "$TLS_DIR/portal.crt" ] || [ ! -s "$TLS_DIR/portal.key" ]; then
	host=$(hostname -f 2>/dev/null || hostname)
	san="DNS:$host"
	[ "$host" = "$(hostname)" ] || san="$san,DNS:$(hostname)"
	for ip in $(hostname -I 2>/dev/null); do san="$san,IP:$ip"; done
	umask 027
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
		-subj "/CN=$host/O=sipvault appliance" -addext "subjectAltName=$san" \
		-keyout "$TLS_DIR/portal.key.new" -out "$TLS_DIR/portal.crt.new" 2>/dev/null
	chgrp "$RUN_AS" "$TLS_DIR/portal.key.new" "$TLS_DIR/portal.crt.new"
	chmod 0640 "$TLS_DIR/portal.key.new"
	chmod 0644 "$TLS_DIR/portal.crt.new"
	mv "$TLS_DIR/portal.key.new" "$TLS_DIR/portal.key"
	mv "$TLS_DIR/portal.crt.new" "$TLS_DIR/portal.crt"
fi
fingerprint=$(openssl x509 -in "$TLS_DIR/portal.crt" -noout -fingerprint -sha256 | cut -d= -f2)

# The admin account, unless the catalog already has accounts (a new image on an old data disk).
password=""
if [ -z "$(sipvault user list --config "$CONFIG")" ]; then
	# 20 characters without look-alikes, read off a console and typed by hand.
	password=$(/usr/bin/node -e "const {randomInt}=require('node:crypto'); const a='abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'; let s=''; for (let i=0;i<20;i++) s+=a[randomInt(a.length)]; console.log(s)")
	printf '%s\n' "$password" | sipvault user add admin --role admin --config "$CONFIG" >/dev/null
fi

portal_port=${SIPVAULT_HTTPS_PORT:-443}
addresses=$(hostname -I 2>/dev/null || true)
urls=""
for ip in $addresses; do
	case $ip in *:*) urls="$urls https://[$ip]:$portal_port/" ;; *) urls="$urls https://$ip:$portal_port/" ;; esac
done
[ -n "$urls" ] || urls=" https://<this appliance's address>:$portal_port/"

# Shown above every console login prompt (agetty reads /etc/issue.d); \4 is the current IPv4 address.
install -d -m 0755 "$ISSUE_DIR"
cat >"$ISSUE_DIR/sipvault.issue" <<ISSUE
sipvault call-recording appliance
  Portal: https://\4/  (certificate SHA-256 $fingerprint)
  SIPREC: point your SBC at \4 port 5060 (UDP or TCP)
ISSUE
if [ -n "$password" ]; then
	# Only the console shows the password (not the journal); delete this file once it is changed.
	umask 077
	printf '  Initial portal login: admin / %s  (change it after logging in)\n\n' "$password" >"$ISSUE_DIR/sipvault-admin-password.issue"
	chmod 0600 "$ISSUE_DIR/sipvault-admin-password.issue"
fi

message() {
	echo
	echo "=============================================================================="
	echo " sipvault is ready."
	echo " Portal:$urls"
	echo "   TLS certificate SHA-256 fingerprint: $fingerprint"
	if [ -n "$password" ]; then
		echo " Log in as: admin   password: $password"
		echo "   (change it in the portal or with: sipvault user passwd admin)"
	else
		echo " Log in with your existing accounts (the catalog already had users)."
	fi
	echo " SIPREC: point the SBC's recording server at this address, port 5060 UDP/TCP."
	echo " Configuration: $CONFIG (then: systemctl restart sipvault.target)"
	echo "=============================================================================="
}
# The console only: the password must not land in the persistent journal.
if [ -w "$CONSOLE" ]; then message >"$CONSOLE" || true; fi
echo "first boot done: portal certificate $fingerprint, admin account $([ -n "$password" ] && echo created || echo kept)"
touch "${SIPVAULT_FIRSTBOOT_STAMP:-/etc/sipvault/.firstboot-done}"
