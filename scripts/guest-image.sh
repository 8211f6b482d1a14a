#!/usr/bin/env bash
# A real Debian 12 guest for the tests that need an operating system (guest agent, cloud-init,
# ACPI shutdown, hot-unplug), built on this machine from Debian's archive only.
#
#   scripts/guest-image.sh ensure    build the image unless the cache holds it; print its directory
#   scripts/guest-image.sh path      print the directory the current recipe builds (built or not)
#   scripts/guest-image.sh netboot   fetch Debian's netboot installer (kernel, initrd, pxelinux)
#   scripts/guest-image.sh netboot-iso   a bootable BIOS ISO of that installer (GRUB, serial console)
#                                    into the cache unless there; print its images directory
#   scripts/guest-image.sh status    say what the cache holds
#
# Cache: $LIBVIRT_VMS_GUEST_CACHE (default /var/cache/libvirt-vms-test/guest), outside the
# repository and $HOME, so fresh clones on the same machine reuse it. Each image lives in
# debian12-<hash>/ where <hash> is the SHA-256 of the recipe below (package list, files written
# into the root, disk size, the build functions' text): editing the recipe builds a new image,
# anything else (comments, the rest of this script) does not. Build: mmdebstrap (about 2 min on
# 2 cores) into a temporary directory, then one rename, so a reader never sees half an image; a
# flock per recipe makes concurrent callers wait for one build; a killed build leaves only a
# .tmp-* directory, removed by the next build. To rebuild by hand: delete the directory
# (`rm -rf "$(scripts/guest-image.sh path)"`) and run `ensure`.
#
# The image directory holds:
#   disk.qcow2   ext4 root filesystem (no partition table; root=/dev/vda), 3 GiB virtual
#   vmlinuz      the guest's kernel, initrd.img its initramfs (direct kernel boot: no bootloader)
#   cmdline      the kernel command line to boot it with
#   recipe.txt   the recipe the hash was taken of
# Facts behind the recipe: docs/testing.md, "The guest OS".
set -euo pipefail

CACHE="${LIBVIRT_VMS_GUEST_CACHE:-/var/cache/libvirt-vms-test/guest}"
SUITE=bookworm
DISK_SIZE=3G
# dbus: without it systemd-logind does not run and the ACPI power button does nothing (shutdown
# never completes). e2fsprogs: cloud-init's resizefs. ifupdown + isc-dhcp-client: cloud-init's
# network renderer on Debian. openssh-server: SSH logins with keys cloud-init installs.
PACKAGES=systemd-sysv,dbus,e2fsprogs,qemu-guest-agent,cloud-init,linux-image-amd64,ifupdown,isc-dhcp-client,openssh-server,udev,iproute2,spice-vdagent,xvfb,xclip
CMDLINE="root=/dev/vda rw console=ttyS0,115200n8 net.ifnames=0"
NETBOOT_PACKAGE=debian-installer-12-netboot-amd64

log() { printf '[guest-image] %s\n' "$*" >&2; }
die() { printf '[guest-image] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

# The Debian mirror this machine's apt uses (deb822 or one-line sources), else deb.debian.org.
debian_mirror() {
  local m
  m="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -vE 'security|nodesource|google' | head -n1 || true)"
  if [ -z "$m" ]; then
    m="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' || true)"
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# Files written into the unpacked root before the disk is made.
configure_root() {
  local root="$1"
  echo debian-guest >"$root/etc/hostname"
  printf '/dev/vda / ext4 defaults 0 1\n' >"$root/etc/fstab"
  # cloud-init writes the NIC's stanza into interfaces.d: without the `source` line ifup calls
  # the interface unknown and the NIC stays down.
  printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' >"$root/etc/network/interfaces"
  mkdir -p "$root/etc/cloud/cloud.cfg.d"
  printf 'datasource_list: [ NoCloud, None ]\n' >"$root/etc/cloud/cloud.cfg.d/90-ds.cfg"
  # One SSH host key type instead of three: RSA key generation takes many seconds under TCG.
  printf 'ssh_genkeytypes: [ ed25519 ]\n' >"$root/etc/cloud/cloud.cfg.d/91-ssh-keys.cfg"
  # Nothing in the guest waits for a network that may never come (a test VM without a NIC).
  mkdir -p "$root/etc/systemd/system/networking.service.d"
  printf '[Service]\nTimeoutStartSec=30\n' >"$root/etc/systemd/system/networking.service.d/timeout.conf"
  # The guest agent starts when its virtio-serial port appears (udev rule of the package);
  # enabling it too makes it start even when udev's event came before the unit was ready.
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sf /lib/systemd/system/qemu-guest-agent.service "$root/etc/systemd/system/multi-user.target.wants/qemu-guest-agent.service"
  # Leave out what no test reads: documentation, man pages, apt's package lists.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
}

build_image() {
  local tmp="$1" mirror
  mirror="$(debian_mirror)"
  log "mmdebstrap $SUITE from $mirror (about 2 minutes)"
  # A small initramfs: only what mounts an ext4 root on virtio-blk. Debian's default (MODULES=most,
  # about 36 MB) costs seconds of unpacking and module probing under TCG.
  mmdebstrap --quiet --variant=apt --include="$PACKAGES" \
    --customize-hook='echo MODULES=list >"$1/etc/initramfs-tools/conf.d/guest.conf"' \
    --customize-hook='printf "%s\n" virtio_pci virtio_blk ext4 crc32c_generic libcrc32c >>"$1/etc/initramfs-tools/modules"' \
    --customize-hook='chroot "$1" update-initramfs -u -k all' \
    "$SUITE" "$tmp/root.tar" "$mirror"
  mkdir "$tmp/root"
  tar -C "$tmp/root" --numeric-owner -xpf "$tmp/root.tar"
  rm -f "$tmp/root.tar"
  configure_root "$tmp/root"
  cp "$(ls "$tmp"/root/boot/vmlinuz-* | sort -V | tail -n1)" "$tmp/vmlinuz"
  cp "$(ls "$tmp"/root/boot/initrd.img-* | sort -V | tail -n1)" "$tmp/initrd.img"
  mkfs.ext4 -q -F -L debian-guest -d "$tmp/root" "$tmp/root.raw" "$DISK_SIZE"
  rm -rf "$tmp/root"
  qemu-img convert -f raw -O qcow2 "$tmp/root.raw" "$tmp/disk.qcow2"
  rm -f "$tmp/root.raw"
  echo "$CMDLINE" >"$tmp/cmdline"
  # QEMU runs as libvirt-qemu: every file readable, every directory traversable.
  chmod 0644 "$tmp"/disk.qcow2 "$tmp"/vmlinuz "$tmp"/initrd.img "$tmp"/cmdline
}

recipe() {
  printf 'suite=%s\nsize=%s\npackages=%s\ncmdline=%s\n' "$SUITE" "$DISK_SIZE" "$PACKAGES" "$CMDLINE"
  declare -f configure_root build_image
}

image_dir() { echo "$CACHE/debian12-$(recipe | sha256sum | cut -c1-16)"; }

cmd_ensure() {
  local dir
  dir="$(image_dir)"
  if [ -s "$dir/disk.qcow2" ]; then echo "$dir"; return 0; fi
  apt_install_missing mmdebstrap qemu-utils e2fsprogs
  mkdir -p "$CACHE"
  chmod 0755 "$CACHE" "$(dirname "$CACHE")" 2>/dev/null || true
  exec 9>"$dir.lock"
  log "waiting for the build lock $dir.lock"
  flock -w 1200 9 || die "another build holds $dir.lock for more than 20 minutes"
  if [ -s "$dir/disk.qcow2" ]; then echo "$dir"; return 0; fi
  # Only this process may build this recipe now: any .tmp of it is a killed build's.
  rm -rf "$dir".tmp-* "$dir"
  local tmp="$dir.tmp-$$" t0=$SECONDS
  mkdir -p "$tmp"
  chmod 0755 "$tmp"
  # mmdebstrap's own scratch directory inside ours, so a killed build leaves nothing elsewhere.
  TMPDIR="$tmp" build_image "$tmp"
  recipe >"$tmp/recipe.txt"
  mv -T "$tmp" "$dir"
  log "built $dir in $((SECONDS - t0)) s ($(du -sh "$dir" | cut -f1))"
  echo "$dir"
}

cmd_netboot() {
  # Debian's real netboot installer, for install-path tests (ISO, URL, PXE). Kept by package
  # version; the archive ships one version per point release.
  mkdir -p "$CACHE"
  local ver
  ver="$(apt-cache policy "$NETBOOT_PACKAGE" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
    apt-get -o DPkg::Lock::Timeout=600 -q update >/dev/null
    ver="$(apt-cache policy "$NETBOOT_PACKAGE" | awk '/Candidate:/ {print $2}')"
  fi
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "$NETBOOT_PACKAGE is not in the apt sources"
  local dir="$CACHE/netboot-$ver"
  local images="$dir/usr/lib/debian-installer/images/12/amd64"
  if [ -s "$images/text/debian-installer/amd64/linux" ]; then echo "$images"; return 0; fi
  exec 8>"$dir.lock"
  flock -w 600 8 || die "another fetch holds $dir.lock"
  if [ -s "$images/text/debian-installer/amd64/linux" ]; then echo "$images"; return 0; fi
  rm -rf "$dir".tmp-*
  local tmp="$dir.tmp-$$"
  mkdir -p "$tmp"
  (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$NETBOOT_PACKAGE=$ver" >/dev/null)
  dpkg-deb -x "$tmp"/*.deb "$tmp"
  rm -f "$tmp"/*.deb
  chmod -R a+rX "$tmp"
  mv -T "$tmp" "$dir"
  echo "$images"
}

# The ISO install path's test media: a bootable BIOS ISO of the netboot installer (GRUB i386-pc
# from Debian's grub-pc-bin, on the serial console, boots the text installer's kernel and initrd),
# with the volume id of a Debian netinst ISO so the OS is recognised from it. Cached beside the
# netboot files, keyed by the installer's version and the SHA-256 of this recipe.
# The volume id of Debian 11's netinst ISO: Debian 12's osinfo-db package lists no Debian 12 media.
ISO_VOLID='Debian 11.7.0 amd64 n'
iso_grub_cfg() {
  cat <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
menuentry 'Install (serial console)' {
  linux /install/linux console=ttyS0,115200n8 ---
  initrd /install/initrd.gz
}
CFG
}
iso_recipe() {
  printf 'volid=%s\n' "$ISO_VOLID"
  declare -f iso_grub_cfg cmd_netboot_iso
}

cmd_netboot_iso() {
  local images
  images="$(cmd_netboot)"
  apt_install_missing grub-common grub-pc-bin mtools xorriso
  local out
  out="$(dirname "$(dirname "$(dirname "$(dirname "$(dirname "$(dirname "$images")")")")")")/netboot-iso-$( (echo "$images"; iso_recipe) | sha256sum | cut -c1-16).iso"
  if [ -s "$out" ]; then echo "$out"; return 0; fi
  exec 7>"$out.lock"
  flock -w 600 7 || die "another build holds $out.lock"
  if [ -s "$out" ]; then echo "$out"; return 0; fi
  rm -rf "$out".tmp-*
  local tmp="$out.tmp-$$"
  mkdir -p "$tmp/root/install" "$tmp/root/boot/grub"
  cp "$images/text/debian-installer/amd64/linux" "$images/text/debian-installer/amd64/initrd.gz" "$tmp/root/install/"
  iso_grub_cfg >"$tmp/root/boot/grub/grub.cfg"
  grub-mkrescue -o "$tmp/out.iso" "$tmp/root" -- -volid "$ISO_VOLID" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; die "grub-mkrescue failed"; }
  chmod 0644 "$tmp/out.iso"
  mv -T "$tmp/out.iso" "$out"
  rm -rf "$tmp"
  log "built $out ($(du -h "$out" | cut -f1))"
  echo "$out"
}

cmd_status() {
  local dir
  dir="$(image_dir)"
  if [ -s "$dir/disk.qcow2" ]; then echo "image: $dir ($(du -sh "$dir" | cut -f1))"; else echo "image: not built ($dir)"; fi
  ls -d "$CACHE"/netboot-*/ 2>/dev/null | sed 's/^/netboot: /' || true
}

case "${1:-ensure}" in
  ensure) cmd_ensure ;;
  path) image_dir ;;
  netboot) cmd_netboot ;;
  netboot-iso) cmd_netboot_iso ;;
  status) cmd_status ;;
  *) echo "usage: $0 {ensure|path|netboot|netboot-iso|status}" >&2; exit 2 ;;
esac
