# The sipvault appliance image: Debian 12 installed from the netinst ISO by preseed, then turned
# into the appliance by packer/scripts/provision.sh (the same script the offline proof runs in a
# debootstrap chroot). Output: a qcow2 disk in packer/output/.
#   packer build -var build_password=$(openssl rand -hex 16) packer/sipvault.pkr.hcl

# Debian 12's network installer from the Debian mirror itself (the installer of point release
# 12.15). Its checksum is the one in .../images/SHA256SUMS, which the signed InRelease of bookworm
# lists; packer/README.md says how to move to a newer installer.
variable "debian_iso_url" {
  type        = string
  description = "Debian 12 amd64 installer ISO (netboot mini.iso or netinst)"
  default     = "https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/20230607+deb12u15/images/netboot/mini.iso"
}

variable "debian_iso_checksum" {
  type        = string
  description = "sha256:<hex> of the ISO"
  default     = "sha256:c9a88f81bfe7c20e62bcb3d1347e723e45ad5e35254af9f77f2686a52aee880d"
}

variable "node" {
  type        = string
  description = "Where Node comes from (SIPVAULT_NODE of provision.sh): nodesource:24, deb:/path, debian"
  default     = "nodesource:24"
}

variable "build_password" {
  type        = string
  description = "root password used only during the build (SSH is disabled and root locked at the end)"
  sensitive   = true
}

variable "disk_size" {
  type    = string
  default = "16G"
}

variable "output_directory" {
  type    = string
  default = "output"
}

source "qemu" "debian12" {
  iso_url          = var.debian_iso_url
  iso_checksum     = var.debian_iso_checksum
  output_directory = "${path.root}/${var.output_directory}"
  vm_name          = "sipvault.qcow2"
  format           = "qcow2"
  disk_size        = var.disk_size
  disk_interface   = "virtio"
  net_device       = "virtio-net"
  accelerator      = "kvm"
  cpus             = 2
  memory           = 2048
  headless         = true
  http_directory   = "${path.root}/http"
  boot_wait        = "5s"
  boot_command = [
    "<esc><wait>",
    "auto url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg ",
    "priority=critical interface=auto hostname=sipvault domain=localdomain ",
    "passwd/root-password=${var.build_password} passwd/root-password-again=${var.build_password} ",
    "<enter>"
  ]
  communicator     = "ssh"
  ssh_username     = "root"
  ssh_password     = var.build_password
  ssh_timeout      = "60m"
  shutdown_command = "shutdown -P now"
}

build {
  sources = ["source.qemu.debian12"]

  # The source as committed (plus local changes to tracked files), with its revision.
  provisioner "shell-local" {
    inline = ["${path.root}/scripts/source-tarball.sh ${path.root}/${var.output_directory}-src/sipvault-src.tar.gz"]
  }

  provisioner "file" {
    # Made by the shell-local step above, so it does not exist when the template is validated.
    generated   = true
    source      = "${path.root}/${var.output_directory}-src/sipvault-src.tar.gz"
    destination = "/root/sipvault-src.tar.gz"
  }

  provisioner "shell" {
    environment_vars = ["SIPVAULT_NODE=${var.node}"]
    inline = [
      "set -e",
      "mkdir -p /root/sipvault-src",
      "tar -xzf /root/sipvault-src.tar.gz -C /root/sipvault-src --strip-components=1",
      "bash /root/sipvault-src/packer/scripts/provision.sh /root/sipvault-src",
      "rm -rf /root/sipvault-src /root/sipvault-src.tar.gz",
      # The build's way in goes last: root is locked, SSH stays off (the firewall does not open it).
      "passwd -l root"
    ]
  }

  # SHA-256 of the disk, to publish next to it.
  post-processor "checksum" {
    checksum_types = ["sha256"]
    output         = "${path.root}/${var.output_directory}/sipvault.qcow2.{{.ChecksumType}}"
  }
}
