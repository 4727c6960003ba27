#!/bin/bash
# Turns a Debian 12 system into the sipvault appliance. The packer template runs it inside the VM
# it builds; packer/proof/build-and-boot.sh runs it in a debootstrap chroot. Run as root.
# Usage: provision.sh SRC_DIR      SRC_DIR: an unpacked sipvault source tree (packer/scripts/source-tarball.sh)
# Environment:
#   SIPVAULT_NODE   where Node comes from: nodesource:24 (default; NodeSource's apt repository),
#                   deb:/path/nodejs.deb (a nodejs package file), or debian (Debian's nodejs)
#   SIPVAULT_NODE_MIN_MAJOR   refuse an older Node (default 20, package.json engines)
set -euo pipefail
src=$(readlink -f "${1:?usage: provision.sh SRC_DIR}")
here=$(dirname "$(readlink -f "$0")")
export DEBIAN_FRONTEND=noninteractive
for step in "$here"/steps/*.sh; do
	echo "=== provision: $(basename "$step")"
	start=$(date +%s)
	bash "$step" "$src"
	echo "=== provision: $(basename "$step") done in $(( $(date +%s) - start )) s"
done
