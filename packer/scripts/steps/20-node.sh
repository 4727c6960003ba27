#!/bin/bash
# Node.js for sipvault. Debian 12's nodejs is 18 (end of life since April 2025), so the image
# takes an LTS from NodeSource's apt repository (signed; the key is packer/files/nodesource.gpg).
set -euo pipefail
src=$1
source=${SIPVAULT_NODE:-nodesource:24}
min=${SIPVAULT_NODE_MIN_MAJOR:-20}
case $source in
nodesource:*)
	major=${source#nodesource:}
	install -m 0644 "$src/packer/files/nodesource.gpg" /usr/share/keyrings/nodesource.gpg
	echo "deb [signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${major}.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
	# NodeSource's nodejs, never Debian's older one.
	printf 'Package: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n' >/etc/apt/preferences.d/nodesource
	apt-get update -qq
	apt-get install -y -qq nodejs
	;;
deb:*)
	apt-get install -y -qq "${source#deb:}"
	;;
debian)
	apt-get install -y -qq --no-install-recommends nodejs npm
	;;
*)
	echo "SIPVAULT_NODE: expected nodesource:MAJOR, deb:FILE or debian, got $source" >&2
	exit 1
	;;
esac
have=$(node -p 'process.versions.node.split(".")[0]')
if [ "$have" -lt "$min" ]; then
	echo "Node $(node -v) is older than $min (SIPVAULT_NODE=$source)" >&2
	exit 1
fi
command -v npm >/dev/null || { echo "npm is missing (SIPVAULT_NODE=$source)" >&2; exit 1; }
echo "Node $(node -v), npm $(npm -v)"
