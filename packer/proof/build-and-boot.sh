#!/bin/bash
# The image build proven on a machine with only the Debian mirror and the npm registry:
#   1. debootstrap a Debian 12 base from the Debian mirror (cached in $WORK/base.tar),
#   2. provision it in a chroot with packer/scripts/provision.sh, the script the packer template runs,
#   3. make a raw ext4 disk of it and boot it under qemu (KVM, or TCG where /dev/kvm cannot run a
#      stock Debian kernel) on a host-only tap network,
#   4. from the host: read the first-boot console message, place a SIPREC call into the VM and
#      fetch the recording through the portal over HTTPS (test/image/vm-record.ts).
# Usage (root): packer/proof/build-and-boot.sh [--rebuild-base] [--keep-vm] [--accel auto|kvm|tcg]
# Environment: SIPVAULT_PROOF_DIR (work directory, default /var/tmp/sipvault-proof),
#   SIPVAULT_PROOF_NODE_DEB (a nodejs .deb for the image; default: Node 24 from the npm registry,
#   packer/proof/node-deb-from-npm.sh).
set -euo pipefail

repo=$(git -C "$(dirname "$(readlink -f "$0")")" rev-parse --show-toplevel)
WORK=${SIPVAULT_PROOF_DIR:-/var/tmp/sipvault-proof}
MIRROR=${SIPVAULT_PROOF_MIRROR:-http://deb.debian.org/debian}
TAP=svproof0
HOST_IP=10.77.0.1
VM_IP=10.77.0.2
rebuild_base=no
keep_vm=no
accel=auto
while [ $# -gt 0 ]; do
	case $1 in
	--rebuild-base) rebuild_base=yes ;;
	--keep-vm) keep_vm=yes ;;
	--accel) accel=${2:-}; shift ;;
	--accel=*) accel=${1#--accel=} ;;
	*) echo "usage: $0 [--rebuild-base] [--keep-vm] [--accel auto|kvm|tcg]" >&2; exit 2 ;;
	esac
	shift
done
case $accel in auto | kvm | tcg) ;; *) echo "--accel: expected auto, kvm or tcg, got '$accel'" >&2; exit 2 ;; esac

say() { echo "[proof $(date -u +%H:%M:%S)] $*"; }
die() { echo "[proof] FAILED: $*" >&2; exit 1; }
declare -a timings=()
phase_start=0
phase() { phase_start=$(date +%s); phase_name=$1; say "== $1"; }
phase_done() { local s=$(( $(date +%s) - phase_start )); timings+=("$(printf '%-34s %4d s' "$phase_name" "$s")"); say "== $phase_name: ${s} s"; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot, tap device)"
# KVM unless it cannot boot the image's kernel. A /dev/kvm served by PVM (kvm_pvm: KVM without
# VT-x/AMD-V, as in nested cloud sandboxes) runs only kernels built as PVM guests, and Debian's is
# not one: qemu's TCG emulation boots the same disk, only slower, so the waits below are longer.
if [ "$accel" = auto ]; then
	if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then accel=kvm; else accel=tcg; fi
fi
if [ "$accel" = kvm ]; then
	[ -w /dev/kvm ] || die "/dev/kvm is not available (--accel tcg boots without it)"
	qemu_accel=(-enable-kvm -cpu host)
	boot_wait=300
	record_flags=()
else
	qemu_accel=(-accel 'tcg,thread=multi' -cpu max)
	boot_wait=1200
	# The recording checks allow for the emulated guest's uneven clock (test/image/vm-record.ts).
	record_flags=(--emulated)
fi
mkdir -p "$WORK"
rootfs=$WORK/rootfs
total_start=$(date +%s)

# --- clean-up of everything this script starts or mounts -----------------------------------------
mounted=()
qemu_pid=""
cleanup() {
	local rc=$?
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
	if [ -n "$qemu_pid" ] && [ "$keep_vm" = no ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$qemu_pid" 2>/dev/null || true
	fi
	[ "$keep_vm" = yes ] && [ $rc = 0 ] || ip link del "$TAP" 2>/dev/null || true
	exit $rc
}
trap cleanup EXIT
mount_in() { mount "$@"; mounted+=("${!#}"); }

# --- 0. host tools ------------------------------------------------------------------------------
phase "host tools"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The host side (vm-record.js) runs from this tree's build.
(cd "$repo" && node node_modules/typescript/bin/tsc -p tsconfig.json)
phase_done

# --- 1. source and Node for the image ------------------------------------------------------------
phase "source tarball and Node package"
"$repo/packer/scripts/source-tarball.sh" "$WORK/sipvault-src.tar.gz"
node_deb=${SIPVAULT_PROOF_NODE_DEB:-}
if [ -z "$node_deb" ]; then
	# Neither nodejs.org nor NodeSource is reachable here, and Debian 12's nodejs is 18 (end of
	# life): the image gets Node 24 LTS, the official build as the npm registry carries it.
	rm -f "$WORK"/nodejs_*.deb
	node_deb=$("$repo/packer/proof/node-deb-from-npm.sh" "$WORK")
fi
say "Node for the image: $(dpkg-deb -f "$node_deb" Package) $(dpkg-deb -f "$node_deb" Version)"
phase_done

# --- 2. Debian 12 base from the mirror -------------------------------------------------------------
if [ "$rebuild_base" = yes ] || [ ! -s "$WORK/base.tar" ]; then
	phase "debootstrap Debian 12 base"
	rm -rf "$WORK/base-root"
	debootstrap --variant=minbase \
		--include=systemd-sysv,udev,dbus,kmod,linux-image-amd64,initramfs-tools,ca-certificates,iproute2,util-linux,e2fsprogs,apt-utils \
		bookworm "$WORK/base-root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; die "debootstrap"; }
	cat >"$WORK/base-root/etc/apt/sources.list" <<-EOF
		deb $MIRROR bookworm main
		deb $MIRROR bookworm-updates main
		deb http://deb.debian.org/debian-security bookworm-security main
	EOF
	tar -C "$WORK/base-root" -cf "$WORK/base.tar.new" . && mv "$WORK/base.tar.new" "$WORK/base.tar"
	rm -rf "$WORK/base-root"
	phase_done
fi

# --- 3. provision in a chroot with the packer scripts ----------------------------------------------
phase "provision (packer/scripts/provision.sh)"
# A previous run that died may have left /dev and friends bound in there: never delete through them.
for m in $(awk -v r="$rootfs" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m"; done
! awk -v r="$rootfs" 'index($2, r "/") == 1 { found = 1 } END { exit !found }' /proc/mounts || die "mounts left under $rootfs"
rm -rf --one-file-system "$rootfs"
mkdir -p "$rootfs"
tar -C "$rootfs" -xf "$WORK/base.tar"
mount_in -t proc proc "$rootfs/proc"
mount_in -t sysfs sys "$rootfs/sys"
mount_in --bind /dev "$rootfs/dev"
mount_in -t devpts devpts "$rootfs/dev/pts"
mount_in -t tmpfs tmpfs "$rootfs/run"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
# Nothing starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
# A TLS-intercepting proxy between this machine and the npm registry: its CA is trusted during the
# build only (90-cleanup removes it again).
ca_files=""
for ca in /usr/local/share/ca-certificates/*.crt; do
	[ -e "$ca" ] || continue
	install -D -m 0644 "$ca" "$rootfs/usr/local/share/ca-certificates/$(basename "$ca")"
	ca_files="$ca_files $(basename "$ca")"
done
[ -z "$ca_files" ] || chroot "$rootfs" update-ca-certificates >/dev/null
cp "$WORK/sipvault-src.tar.gz" "$rootfs/root/sipvault-src.tar.gz"
cp "$node_deb" "$rootfs/root/nodejs.deb"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	SIPVAULT_NODE=deb:/root/nodejs.deb SIPVAULT_BUILD_CA_FILES="$ca_files" /bin/bash -c '
	set -e
	mkdir -p /root/sipvault-src
	tar -xzf /root/sipvault-src.tar.gz -C /root/sipvault-src --strip-components=1
	bash /root/sipvault-src/packer/scripts/provision.sh /root/sipvault-src
	rm -rf /root/sipvault-src /root/sipvault-src.tar.gz /root/nodejs.deb' 2>&1 | tee "$WORK/provision.log" | grep -E '^=== provision|^Node v|"version"|error|Error' || true
grep -q '=== provision: 90-cleanup.sh done' "$WORK/provision.log" || die "provisioning failed; see $WORK/provision.log"
rm -f "$rootfs/usr/sbin/policy-rc.d"
phase_done

# --- 4. what the admin does on import: a disk label and an address ---------------------------------
phase "disk image"
echo 'LABEL=sipvault-root / ext4 errors=remount-ro 0 1' >"$rootfs/etc/fstab.new"
grep -v '^LABEL=sipvault-root' "$rootfs/etc/fstab" >>"$rootfs/etc/fstab.new" || true
mv "$rootfs/etc/fstab.new" "$rootfs/etc/fstab"
cat >"$rootfs/etc/systemd/network/10-proof-static.network" <<EOF
[Match]
Name=eth0 en*

[Network]
Address=$VM_IP/24
Gateway=$HOST_IP
EOF
: >"$rootfs/etc/resolv.conf"
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}"; done
mounted=()
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -1)
cp "$kernel" "$WORK/vmlinuz"
cp "$initrd" "$WORK/initrd.img"
rm -f "$WORK/root.img"
truncate -s 8G "$WORK/root.img"
mkfs.ext4 -q -L sipvault-root -d "$rootfs" "$WORK/root.img"
say "image: $(du -sh --apparent-size "$rootfs" | cut -f1) of files in an 8 GiB ext4 disk"
phase_done

# --- 5. boot it ------------------------------------------------------------------------------------
boot_vm() { # console-file
	rm -f "$WORK/qemu.pid" "$WORK/qmp.sock" "$1"
	qemu-system-x86_64 -name sipvault-proof "${qemu_accel[@]}" -smp 2 -m 2048 \
		-kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.journald.forward_to_console=1" \
		-drive file="$WORK/root.img",if=virtio,format=raw \
		-netdev tap,id=n0,ifname="$TAP",script=no,downscript=no -device virtio-net-pci,netdev=n0 \
		-serial file:"$1" -display none -qmp unix:"$WORK/qmp.sock",server=on,wait=off \
		-daemonize -pidfile "$WORK/qemu.pid"
	qemu_pid=$(cat "$WORK/qemu.pid")
	say "qemu pid $qemu_pid, console in $1"
}
# The power button (ACPI), so the guest shuts down cleanly, then waits for qemu to exit.
power_off_vm() {
	python3 - "$WORK/qmp.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
f.readline()
for cmd in ('qmp_capabilities', 'system_powerdown'):
    f.write(json.dumps({'execute': cmd}) + '\n'); f.flush(); f.readline()
PY
	for _ in $(seq "$boot_wait"); do kill -0 "$qemu_pid" 2>/dev/null || { qemu_pid=""; return 0; }; sleep 1; done
	die "the VM did not power off within $boot_wait s"
}

phase "boot under qemu ($accel)"
ip link del "$TAP" 2>/dev/null || true
ip tuntap add dev "$TAP" mode tap
ip addr add "$HOST_IP/24" dev "$TAP"
ip link set "$TAP" up
boot_vm "$WORK/console.log"
for _ in $(seq "$boot_wait"); do grep -q 'sipvault is ready' "$WORK/console.log" 2>/dev/null && break; sleep 1; done
grep -q 'sipvault is ready' "$WORK/console.log" || { tail -40 "$WORK/console.log"; die "no first-boot message within $boot_wait s"; }
phase_done

# --- 6. record a call through the VM ---------------------------------------------------------------
phase "SIPREC call and download over HTTPS"
node "$repo/dist/test/image/vm-record.js" --host "$VM_IP" --console "$WORK/console.log" --state "$WORK/state.json" --timeout "$boot_wait" "${record_flags[@]}" ||
	{ tail -60 "$WORK/console.log"; die "the call through the VM"; }
phase_done

# --- 7. in-place update on the VM's disk, boot again: the data stays -------------------------------
phase "power off, sipvault-update, boot again"
power_off_vm
mnt=$WORK/mnt
mkdir -p "$mnt"
mount_in -o loop "$WORK/root.img" "$mnt"
mount_in -t proc proc "$mnt/proc"
mount_in --bind /dev "$mnt/dev"
mount_in -t tmpfs tmpfs "$mnt/run"
# The release the image runs, as the "new" release (a rebuilt tree would do the same): switched,
# units reinstalled, catalog backed up and opened by the new release, recordings left alone.
chroot "$mnt" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash -c '
	set -e
	before=$(readlink -f /opt/sipvault/current)
	cp -a "$before" /root/sipvault-next
	sipvault-update /root/sipvault-next
	rm -rf /root/sipvault-next
	echo "release: $before -> $(readlink -f /opt/sipvault/current)"
	ls /var/lib/sipvault/backups' 2>&1 | tee "$WORK/update.log"
grep -q '^release: .* -> /opt/sipvault/releases/' "$WORK/update.log" || die "sipvault-update in the image failed; see $WORK/update.log"
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[$i]}" || umount -l "${mounted[$i]}"; done
mounted=()
boot_vm "$WORK/console-2.log"
node "$repo/dist/test/image/vm-record.js" --host "$VM_IP" --state "$WORK/state.json" --after-update --timeout "$boot_wait" "${record_flags[@]}" ||
	{ tail -60 "$WORK/console-2.log"; die "the appliance after the update"; }
phase_done

say "timings:"
for t in "${timings[@]}"; do echo "  $t"; done
echo "  $(printf '%-34s %4d s' total $(( $(date +%s) - total_start )))"
say "PASS"
