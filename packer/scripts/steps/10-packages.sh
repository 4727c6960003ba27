#!/bin/bash
# Debian packages the appliance runs: rtpengine (media relay), ffmpeg (MP3), net-snmp tools,
# nftables (firewall), time sync (recording timestamps). The portal serves HTTPS itself.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	ca-certificates openssl nftables ffmpeg rtpengine-daemon snmp \
	systemd-timesyncd iproute2 procps less
# Building the native addons (better-sqlite3, @discordjs/opus) needs these; 90-cleanup removes them.
apt-get install -y -qq --no-install-recommends build-essential python3
