#!/usr/bin/env bash
# Test environment: a real libvirtd (unix, TCP and TLS listeners), virtlogd, the `default` NAT
# network, a second libvirtd ("peer", a migration destination: own mount namespace, own host UUID,
# TCP on 127.0.0.1:16510, own `default` network on virbr9), a third libvirtd ("tlshost", own mount
# namespace too) whose VNC and SPICE displays require TLS with the test PKI (TLS on 127.0.0.1:16515), an sshd on 127.0.0.1:2222 (public keys only) and a second sshd on 127.0.0.1:2223 that
# takes passwords for one dedicated system user, all with throwaway test-only credentials, and
# Open vSwitch (ovsdb-server + ovs-vswitchd; tests make userspace "netdev" bridges, so no kernel
# module is needed), and a cron daemon (schedules run from the test user's crontab).
#
#   scripts/testenv.sh install        install missing Debian packages (needs root)
#   scripts/testenv.sh start          start what is not running yet (idempotent)
#   scripts/testenv.sh stop [NAME..]  stop daemons this script started (libvirtd virtlogd sshd sshd-password peer tlshost ovs-vswitchd ovsdb-server cron)
#   scripts/testenv.sh status         show what answers
#   scripts/testenv.sh env            print shell exports for the tests (eval "$(... env)")
#
# State (configs, keys, certificates, logs, PIDs) lives in $LIBVIRT_VMS_STATE
# (default /run/libvirt-vms-test), never in $HOME. Everything here is for tests only:
# authentication is off on every listener, which are all bound to 127.0.0.1.
# If LIBVIRT_TEST_URI is set, `start` leaves libvirtd alone and the tests use that URI.
# If TESTENV_STARTED_FILE is set, `start` appends the names of the daemons it started to it.
# Facts behind the choices below: docs/ and libvirt's libvirtd.conf / qemu.conf comments.
set -euo pipefail

STATE="${LIBVIRT_VMS_STATE:-/run/libvirt-vms-test}"
TCP_PORT=16509
TLS_PORT=16514
SSH_PORT=2222
SSH_PASSWORD_PORT=2223
PEER_TCP_PORT=16510
PEER_URI="qemu+tcp://127.0.0.1:$PEER_TCP_PORT/system"
# Fixed and different from any real machine's: libvirt refuses to migrate to a host with its own UUID.
PEER_HOST_UUID="7e57da7a-0000-4000-8000-000000016510"
PEER_BRIDGE=virbr9
PEER_SUBNET=192.168.150
# Disk images both daemons see (the peer's overlays do not cover it): the "shared storage". On a
# disk file system, not /run (tmpfs on most machines refuses O_DIRECT, i.e. disks with cache='none').
SHARED_DIR="${LIBVIRT_VMS_SHARED_DIR:-/var/lib/libvirt-vms-test/shared}"
# A system account that exists only for the password tests: no home, no key, a random password
# kept in the state directory.
SSH_PASSWORD_USER=libvirt-vms-sshpw
SYSTEM_URI="qemu:///system"
PKG_LIST=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools
  dnsmasq-base libxml2-utils netcat-openbsd openssh-server python3-libvirt openssl lvm2 osinfo-db xorriso
  openvswitch-switch cron grub-common grub-pc-bin mtools vsftpd)
# libvirt runs ovs-vsctl against the default database socket, so Open vSwitch listens there.
OVS_RUN=/var/run/openvswitch

log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- install
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

cmd_install() {
  local had_vsftpd=yes
  [ -x /usr/sbin/vsftpd ] || had_vsftpd=no
  apt_install_missing "${PKG_LIST[@]}"
  # The FTP tests start vsftpd themselves (test/ftpServer.ts: anonymous, read-only, 127.0.0.1, a
  # port of their own). The package's own service would serve local logins in clear text on
  # port 21: when this install brought the package, that service is stopped and disabled.
  if [ "$had_vsftpd" = no ]; then
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now vsftpd >/dev/null 2>&1 || true
    else
      invoke-rc.d vsftpd stop >/dev/null 2>&1 || true
      update-rc.d vsftpd disable >/dev/null 2>&1 || true
    fi
  fi
}

# ---------------------------------------------------------------- helpers
pid_alive() {
  # A killed daemon can linger as a zombie until PID 1 reaps it: treat state Z as dead.
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  local st
  st="$(sed -E 's/^[0-9]+ \(.*\) ([A-Z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || echo Z)"
  [ "$st" != "Z" ] && [ "$st" != "X" ]
}

# PIDs of running (not zombie) processes with this exact name, space-separated.
live_pids() {
  local p out=""
  for p in $(pgrep -x "$1" 2>/dev/null || true); do
    pid_alive "$p" && out="$out $p"
  done
  echo "${out# }"
}

read_pid() { [ -r "$1" ] && tr -dc '0-9' <"$1" || true; }

# live_pids without the peer daemon's processes (a libvirtd and a virtlogd of the same names run
# in the peer's mount namespace, see start_peer).
main_pids() {
  local p out="" peer
  peer=" $(read_pid "$STATE/peer/libvirtd.pid") $(read_pid "$STATE/peer/virtlogd.pid") "
  for p in $(live_pids "$1"); do
    [[ "$peer" == *" $p "* ]] || out="$out $p"
  done
  echo "${out# }"
}

libvirt_answers() {
  timeout 20 virsh -q -c "$SYSTEM_URI" list >/dev/null 2>&1
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

record_started() {
  echo "$1" >"$STATE/started/$1"
  if [ -n "${TESTENV_STARTED_FILE:-}" ]; then echo "$1" >>"$TESTENV_STARTED_FILE"; fi
}

# ---------------------------------------------------------------- PKI
gen_pki() {
  # A CA, a server certificate for 127.0.0.1/localhost and a client certificate, laid out the way
  # libvirt's pkipath expects on the client side (cacert.pem, clientcert.pem, clientkey.pem).
  local d="$STATE/pki"
  if [ -s "$d/cacert.pem" ] && [ -s "$d/servercert.pem" ] && [ -s "$d/clientcert.pem" ]; then return 0; fi
  rm -rf "$d"; mkdir -p "$d"
  local days=3650
  openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/O=libvirt-vms test/CN=libvirt-vms test CA" \
    -keyout "$d/cakey.pem" -out "$d/cacert.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  local role ext
  for role in server client; do
    if [ "$role" = server ]; then
      ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
    else
      ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    fi
    openssl req -newkey rsa:2048 -nodes -subj "/O=libvirt-vms test/CN=${role/server/127.0.0.1}" \
      -keyout "$d/${role}key.pem" -out "$d/$role.csr" 2>/dev/null
    printf '%s\n' "$ext" >"$d/$role.ext"
    openssl x509 -req -in "$d/$role.csr" -CA "$d/cacert.pem" -CAkey "$d/cakey.pem" -CAcreateserial \
      -days "$days" -extfile "$d/$role.ext" -out "$d/${role}cert.pem" 2>/dev/null
    rm -f "$d/$role.csr" "$d/$role.ext"
  done
  chmod 0644 "$d"/*.pem
}

# ---------------------------------------------------------------- libvirtd
write_libvirtd_conf() {
  mkdir -p "$STATE"
  cat >"$STATE/libvirtd.conf.new" <<EOF
# Test-only libvirtd configuration written by scripts/testenv.sh. No authentication anywhere:
# every listener is bound to 127.0.0.1 and the sockets are world-writable.
listen_tls = 1
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$TCP_PORT"
tls_port = "$TLS_PORT"
auth_tcp = "none"
auth_tls = "none"
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0777"
unix_sock_admin_perms = "0700"
key_file = "$STATE/pki/serverkey.pem"
cert_file = "$STATE/pki/servercert.pem"
ca_file = "$STATE/pki/cacert.pem"
tls_no_verify_certificate = 0
max_clients = 5000
max_anonymous_clients = 1000
max_queued_clients = 1000
max_client_requests = 50
max_workers = 40
log_level = 3
log_outputs = "3:file:$STATE/libvirtd.log"
EOF
  mv -f "$STATE/libvirtd.conf.new" "$STATE/libvirtd.conf"
}

ensure_qemu_conf() {
  # libvirt's config parser keeps the first occurrence of a key, so overrides go at the top of
  # qemu.conf inside a marked block. Only needed in a chroot (/ not a mount point), where QEMU's
  # mount namespace setup fails.
  local f=/etc/libvirt/qemu.conf begin="# BEGIN libvirt-vms test environment" end="# END libvirt-vms test environment"
  [ -f "$f" ] || return 0
  local want=""
  if ! mountpoint -q /; then want='namespaces = [ ]'; fi
  local tmp
  tmp="$(mktemp)"
  sed "/^$begin\$/,/^$end\$/d" "$f" >"$tmp"
  if [ -n "$want" ]; then
    { printf '%s\n%s\n%s\n' "$begin" "$want" "$end"; cat "$tmp"; } >"$tmp.2"
    mv -f "$tmp.2" "$tmp"
  fi
  if ! cmp -s "$tmp" "$f"; then
    [ "$(id -u)" -eq 0 ] || die "$f needs a change and we are not root"
    cat "$tmp" >"$f"
    log "updated the managed block in $f"
  fi
  rm -f "$tmp"
}

ensure_kvm_device_access() {
  # Without udev (this kind of machine boots without systemd), a /dev/kvm node can exist with
  # mode 0600 root:root. libvirt's capability probe (run as root) then sees KVM, while its
  # per-domain check as the qemu user finds it unusable, and it re-probes QEMU on every lookup:
  # defines hang. Give it the permissions udev's rule would (group kvm, 0660).
  [ -c /dev/kvm ] || return 0
  getent group kvm >/dev/null 2>&1 || return 0
  if [ "$(stat -c '%G:%a' /dev/kvm)" != "kvm:660" ]; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm && log "set /dev/kvm to root:kvm 0660 (as udev would)"
  fi
}

ensure_tmp_sticky() {
  # swtpm_setup (run as tss for a VM's TPM) makes its temporary directory in /tmp: a /tmp that
  # lost its usual 1777 mode (an archive of a root file system unpacked over it, for one) makes
  # every VM with a TPM fail to start.
  if [ "$(stat -c '%a' /tmp)" != "1777" ]; then
    log "/tmp had mode $(stat -c '%a' /tmp); restoring 1777"
    chmod 1777 /tmp
  fi
}

start_virtlogd() {
  local pidf="$STATE/virtlogd.pid"
  if [ -S /run/libvirt/virtlogd-sock ] && [ -n "$(main_pids virtlogd)" ]; then return 0; fi
  log "starting virtlogd"
  virtlogd -d -p "$pidf" 9>&-
  local i
  for i in $(seq 1 50); do
    [ -S /run/libvirt/virtlogd-sock ] && { record_started virtlogd; return 0; }
    sleep 0.1
  done
  die "virtlogd did not create /run/libvirt/virtlogd-sock"
}

ovs_answers() { timeout 5 ovs-vsctl --timeout=3 show >/dev/null 2>&1; }

# ovsdb-server (database under $STATE/ovs) and ovs-vswitchd, unless an Open vSwitch already answers.
start_ovs() {
  if ovs_answers; then return 0; fi
  local d="$STATE/ovs"
  mkdir -p "$d" "$OVS_RUN"
  [ -s "$d/conf.db" ] || ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  log "starting ovsdb-server and ovs-vswitchd"
  ovsdb-server "$d/conf.db" --remote="punix:$OVS_RUN/db.sock" --pidfile="$d/ovsdb-server.pid" --detach --log-file="$d/ovsdb-server.log" 9>&-
  record_started ovsdb-server
  ovs-vsctl --no-wait init
  ovs-vswitchd "unix:$OVS_RUN/db.sock" --pidfile="$d/ovs-vswitchd.pid" --detach --log-file="$d/ovs-vswitchd.log" 9>&-
  record_started ovs-vswitchd
  local i
  for i in $(seq 1 50); do ovs_answers && return 0; sleep 0.1; done
  die "Open vSwitch did not answer on $OVS_RUN/db.sock"
}

start_libvirtd() {
  if libvirt_answers; then
    if [ ! -e "$STATE/started/libvirtd" ]; then
      log "using the libvirtd that is already running (not started by this script)"
      port_open "$TCP_PORT" || log "warning: that libvirtd does not listen on 127.0.0.1:$TCP_PORT (TCP tests will fail)"
      port_open "$TLS_PORT" || log "warning: that libvirtd does not listen on 127.0.0.1:$TLS_PORT (TLS tests will fail)"
    fi
    return 0
  fi
  local pidf="$STATE/libvirtd.pid" old
  old="$(read_pid "$pidf")"
  if pid_alive "$old" || [ -n "$(main_pids libvirtd)" ]; then
    # A running libvirtd that is slow to answer (busy host, long job) is shared by others:
    # wait for it rather than restart it under their feet.
    log "libvirtd is running but does not answer yet; waiting up to 60 s"
    local until_t=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$until_t" ]; do
      libvirt_answers && return 0
      sleep 1
    done
    die "libvirtd ($(main_pids libvirtd)) is running but does not answer on $SYSTEM_URI; see $STATE/libvirtd.log"
  fi
  write_libvirtd_conf
  log "starting libvirtd"
  libvirtd -d -l -f "$STATE/libvirtd.conf" -p "$pidf" 9>&-
  local deadline=$((SECONDS + 60))
  until libvirt_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$STATE/libvirtd.log" >&2 2>/dev/null || true
      die "libvirtd does not answer on $SYSTEM_URI after 60 s (log: $STATE/libvirtd.log)"
    fi
    sleep 0.2
  done
  record_started libvirtd
  # The first QEMU call probes the emulator (several seconds): do it now, not inside a test.
  timeout 120 virsh -q -c "$SYSTEM_URI" capabilities >/dev/null
  timeout 120 virsh -q -c "$SYSTEM_URI" domcapabilities --virttype qemu >/dev/null 2>&1 ||
    timeout 120 virsh -q -c "$SYSTEM_URI" domcapabilities >/dev/null 2>&1 || true
}

ensure_default_network() {
  if ! virsh -q -c "$SYSTEM_URI" net-info default >/dev/null 2>&1; then
    log "defining the default network"
    virsh -q -c "$SYSTEM_URI" net-define /usr/share/libvirt/networks/default.xml >/dev/null
  fi
  local info
  info="$(virsh -q -c "$SYSTEM_URI" net-info default 2>/dev/null || true)"
  if ! grep -Eq '^Active:[[:space:]]+yes' <<<"$info"; then
    log "starting the default network"
    virsh -q -c "$SYSTEM_URI" net-start default >/dev/null
  fi
}

# ---------------------------------------------------------------- peer libvirtd (migration)
# A second privileged libvirtd on the same machine, as a migration destination. Two daemons would
# share /run/libvirt, /var/lib/libvirt/qemu and /etc/libvirt, and libvirt refuses to migrate to a
# host with the same host UUID; so the peer runs in its own mount namespace where private
# directories (under $STATE/peer) are bind-mounted over those, with its own host_uuid. The network
# namespace is shared: its `default` network gets its own bridge and subnet. Disk images under
# $SHARED_DIR are seen by both daemons; /var/lib/libvirt/images is each daemon's own. Facts: docs/migration.md ("Test environment").
PEER="$STATE/peer"

peer_answers() {
  timeout 20 virsh -q -c "$PEER_URI" list >/dev/null 2>&1
}

# The private tree of a daemon in its own mount namespace (the peer, the TLS-display host):
# run/lib/cache/log directories bind-mounted over the machine's, a copy of /etc/libvirt without its
# objects, qemu.conf with a managed block of QEMU_LINES on top, and an inner.sh that starts the
# daemons under own process names (BIN: "peer" gives libvirtd-peer and virtlogd-peer), so nothing
# that looks for "libvirtd" by name takes them for the main daemon. The caller writes
# DIR/libvirtd.conf.
#   write_ns_tree DIR BIN "QEMU_LINES"
write_ns_tree() {
  local dir="$1" bin="$2" qemu_lines="$3"
  mkdir -p "$dir"/{run,lib-qemu,lib-dnsmasq,lib-swtpm,cache,log,images}
  # The mount points: libvirtd makes some of them only when first used (swtpm: at the first VM with
  # a TPM), so on a fresh machine they may not exist yet.
  mkdir -p /run/libvirt /var/lib/libvirt/{qemu,dnsmasq,swtpm,images} /var/cache/libvirt /var/log/libvirt
  chmod 0755 "$dir"
  chmod 0711 "$dir/images"
  chown libvirt-qemu:libvirt-qemu "$dir/lib-qemu" 2>/dev/null || true
  chmod 0751 "$dir/lib-qemu"
  if [ ! -d "$dir/etc" ]; then
    # A fresh copy of this machine's configuration without its objects (VMs, networks, pools,
    # secrets): the daemon starts as an empty host. Kept across restarts, as a real host's is.
    cp -a /etc/libvirt "$dir/etc.new"
    rm -f "$dir/etc.new"/qemu/*.xml "$dir/etc.new"/qemu/autostart/* \
      "$dir/etc.new"/qemu/networks/*.xml "$dir/etc.new"/qemu/networks/autostart/* \
      "$dir/etc.new"/storage/*.xml "$dir/etc.new"/storage/autostart/* "$dir/etc.new"/secrets/* 2>/dev/null || true
    mv "$dir/etc.new" "$dir/etc"
  fi
  local f="$dir/etc/qemu.conf" begin="# BEGIN libvirt-vms $bin" end="# END libvirt-vms $bin" tmp
  tmp="$(mktemp)"
  sed "/^$begin\$/,/^$end\$/d" /etc/libvirt/qemu.conf >"$tmp"
  { printf '%s\n%s\n%s\n' "$begin" "$qemu_lines" "$end"; cat "$tmp"; } >"$f"
  rm -f "$tmp"
  # Runs inside `unshare -m`: the mounts exist only there and die with the namespace's last process.
  cat >"$dir/inner.sh" <<INNER
#!/usr/bin/env bash
set -euo pipefail
mount --make-rprivate /
mount --bind "$dir/run" /run/libvirt
mount --bind "$dir/lib-qemu" /var/lib/libvirt/qemu
mount --bind "$dir/lib-dnsmasq" /var/lib/libvirt/dnsmasq
mount --bind "$dir/lib-swtpm" /var/lib/libvirt/swtpm
# Local disks: each daemon has its own /var/lib/libvirt/images, as two hosts do (copy storage).
mount --bind "$dir/images" /var/lib/libvirt/images
mount --bind "$dir/cache" /var/cache/libvirt
mount --bind "$dir/log" /var/log/libvirt
mount --bind "$dir/etc" /etc/libvirt
"$dir/bin/virtlogd-$bin" -d -p "$dir/virtlogd.pid"
for i in \$(seq 1 50); do [ -S /run/libvirt/virtlogd-sock ] && break; sleep 0.1; done
"$dir/bin/libvirtd-$bin" -d -l -f "$dir/libvirtd.conf" -p "$dir/libvirtd.pid"
INNER
  mkdir -p "$dir/bin"
  ln -sfn "$(command -v libvirtd)" "$dir/bin/libvirtd-$bin"
  ln -sfn "$(command -v virtlogd)" "$dir/bin/virtlogd-$bin"
  chmod 0755 "$dir/inner.sh"
}

# Starts the daemons of a tree written by write_ns_tree and waits until ANSWERS (a function) succeeds.
#   start_ns_daemon DIR LABEL TCP_PORT ANSWERS
start_ns_daemon() {
  local dir="$1" label="$2" port="$3" answers="$4"
  if port_open "$port"; then die "something else listens on 127.0.0.1:$port"; fi
  # Leftovers of a killed run: a virtlogd of the old namespace keeps that namespace alive; end it.
  local lp
  lp="$(read_pid "$dir/virtlogd.pid")"
  if pid_alive "$lp"; then kill "$lp" 2>/dev/null || true; fi
  log "starting the $label libvirtd on 127.0.0.1:$port (own mount namespace)"
  unshare -m --propagation private "$dir/inner.sh" 9>&-
  local deadline=$((SECONDS + 60))
  until "$answers"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$dir/libvirtd.log" >&2 2>/dev/null || true
      die "the $label libvirtd does not answer on 127.0.0.1:$port after 60 s (log: $dir/libvirtd.log)"
    fi
    sleep 0.2
  done
}

# Stops the libvirtd and virtlogd of a namespace daemon by their PID files.
stop_ns_daemon() {
  local dir="$1" label="$2" name pid i
  for name in libvirtd virtlogd; do
    pid="$(read_pid "$dir/$name.pid")"
    if pid_alive "$pid"; then
      log "stopping the $label $name ($pid)"
      kill "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

write_peer_tree() {
  # Incoming migrations listen on their own port range, so the two daemons never race for one.
  # Its own VNC/SPICE autoport range as well: both daemons share the network namespace and each
  # picks free ports from 5900 otherwise; a VM migrated to the peer was seen failing with
  # "-vnc 127.0.0.1:7: Failed to find an available port" while the main daemon's VMs started.
  write_ns_tree "$PEER" peer "migration_port_min = 49300
migration_port_max = 49363
remote_display_port_min = 6400
remote_display_port_max = 6499"
  cat >"$PEER/libvirtd.conf" <<CONF
# Test-only configuration of the peer libvirtd written by scripts/testenv.sh (TCP, no auth).
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$PEER_TCP_PORT"
auth_tcp = "none"
auth_unix_ro = "none"
auth_unix_rw = "none"
host_uuid = "$PEER_HOST_UUID"
max_clients = 5000
max_anonymous_clients = 1000
max_workers = 20
log_level = 3
log_outputs = "3:file:$PEER/libvirtd.log"
CONF
}

ensure_peer_network() {
  if ! virsh -q -c "$PEER_URI" net-info default >/dev/null 2>&1; then
    log "defining the peer's default network ($PEER_BRIDGE, $PEER_SUBNET.0/24)"
    local x="$PEER/default-network.xml"
    cat >"$x" <<NET
<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='$PEER_BRIDGE' stp='on' delay='0'/>
  <ip address='$PEER_SUBNET.1' netmask='255.255.255.0'>
    <dhcp><range start='$PEER_SUBNET.2' end='$PEER_SUBNET.254'/></dhcp>
  </ip>
</network>
NET
    virsh -q -c "$PEER_URI" net-define "$x" >/dev/null
  fi
  if ! grep -Eq '^Active:[[:space:]]+yes' <<<"$(virsh -q -c "$PEER_URI" net-info default 2>/dev/null || true)"; then
    log "starting the peer's default network"
    virsh -q -c "$PEER_URI" net-start default >/dev/null
  fi
}

ensure_shared_dir() {
  mkdir -p "$SHARED_DIR"
  # QEMU runs as libvirt-qemu: every directory on an image's path must be traversable.
  chmod 0755 "$(dirname "$SHARED_DIR")" "$SHARED_DIR"
}

ensure_userfaultfd() {
  # Post-copy migration needs userfaultfd in the destination's QEMU, which runs unprivileged:
  # kernels since 5.11 refuse that unless vm.unprivileged_userfaultfd=1 ("Postcopy is not
  # supported" from migrate-set-capabilities otherwise). A test-machine setting; best effort.
  local f=/proc/sys/vm/unprivileged_userfaultfd
  [ -e "$f" ] || return 0
  if [ "$(cat "$f")" != 1 ]; then
    if echo 1 >"$f" 2>/dev/null; then log "set vm.unprivileged_userfaultfd=1 (post-copy migration)"
    else log "warning: cannot set vm.unprivileged_userfaultfd=1: post-copy migration tests will fail"; fi
  fi
}

start_peer() {
  ensure_shared_dir
  ensure_userfaultfd
  if peer_answers; then
    [ -e "$STATE/started/peer" ] || log "using the libvirtd that already answers on $PEER_URI"
    ensure_peer_network
    return 0
  fi
  local old
  old="$(read_pid "$PEER/libvirtd.pid")"
  if pid_alive "$old"; then
    log "the peer libvirtd ($old) runs but does not answer yet; waiting up to 60 s"
    local until_t=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$until_t" ]; do peer_answers && { ensure_peer_network; return 0; }; sleep 1; done
    die "the peer libvirtd ($old) does not answer on $PEER_URI; see $PEER/libvirtd.log"
  fi
  write_peer_tree
  start_ns_daemon "$PEER" peer "$PEER_TCP_PORT" peer_answers
  record_started peer
  timeout 120 virsh -q -c "$PEER_URI" capabilities >/dev/null
  timeout 120 virsh -q -c "$PEER_URI" domcapabilities --virttype qemu >/dev/null 2>&1 || true
  ensure_peer_network
}

stop_peer() {
  [ -e "$STATE/started/peer" ] || return 0
  stop_ns_daemon "$PEER" peer
  rm -f "$STATE/started/peer"
}

# ---------------------------------------------------------------- TLS-display libvirtd
# A third privileged libvirtd (own mount namespace, as the peer) whose qemu.conf turns on TLS for
# every VNC and SPICE display (vnc_tls, spice_tls; the server certificate is the test PKI's, which
# also verifies client certificates: vnc_tls_x509_verify / spice_tls_x509_verify). A host set up
# as libvirt's docs describe for encrypted displays, reached over TLS on 127.0.0.1:16515 (and TCP
# on 16511). Turning vnc_tls on in the main daemon instead would make every VNC display of every
# other suite require VeNCrypt (their raw RFB checks and the relay benchmark speak plain RFB).
# Its displays use ports 6300-6399, away from the main daemon's 5900 upwards.
TLSHOST="$STATE/tlshost"
TLSHOST_TCP_PORT=16511
TLSHOST_TLS_PORT=16515
TLSHOST_URI="qemu+tcp://127.0.0.1:$TLSHOST_TCP_PORT/system"
TLSHOST_HOST_UUID="7e57da7a-0000-4000-8000-000000016515"

tlshost_answers() {
  timeout 20 virsh -q -c "$TLSHOST_URI" list >/dev/null 2>&1
}

write_tlshost_tree() {
  # QEMU's x509 directory layout (ca-cert.pem, server-cert.pem, server-key.pem), readable by the
  # libvirt-qemu user QEMU runs as.
  local certs="$TLSHOST/display-pki"
  mkdir -p "$certs"
  cp -f "$STATE/pki/cacert.pem" "$certs/ca-cert.pem"
  cp -f "$STATE/pki/servercert.pem" "$certs/server-cert.pem"
  cp -f "$STATE/pki/serverkey.pem" "$certs/server-key.pem"
  chmod 0755 "$certs"
  chmod 0644 "$certs"/*.pem
  write_ns_tree "$TLSHOST" tls "vnc_tls = 1
vnc_tls_x509_cert_dir = \"$certs\"
vnc_tls_x509_verify = 1
spice_tls = 1
spice_tls_x509_cert_dir = \"$certs\"
spice_tls_x509_verify = 1
remote_display_port_min = 6300
remote_display_port_max = 6399
migration_port_min = 49400
migration_port_max = 49463"
  cat >"$TLSHOST/libvirtd.conf" <<CONF
# Test-only configuration of the TLS-display libvirtd written by scripts/testenv.sh (no auth).
listen_tls = 1
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$TLSHOST_TCP_PORT"
tls_port = "$TLSHOST_TLS_PORT"
auth_tcp = "none"
auth_tls = "none"
auth_unix_ro = "none"
auth_unix_rw = "none"
key_file = "$STATE/pki/serverkey.pem"
cert_file = "$STATE/pki/servercert.pem"
ca_file = "$STATE/pki/cacert.pem"
host_uuid = "$TLSHOST_HOST_UUID"
max_clients = 1000
max_anonymous_clients = 500
max_workers = 10
log_level = 3
log_outputs = "3:file:$TLSHOST/libvirtd.log"
CONF
}

start_tlshost() {
  if tlshost_answers; then
    [ -e "$STATE/started/tlshost" ] || log "using the libvirtd that already answers on $TLSHOST_URI"
    return 0
  fi
  local old
  old="$(read_pid "$TLSHOST/libvirtd.pid")"
  if pid_alive "$old"; then
    log "the TLS-display libvirtd ($old) runs but does not answer yet; waiting up to 60 s"
    local until_t=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$until_t" ]; do tlshost_answers && return 0; sleep 1; done
    die "the TLS-display libvirtd ($old) does not answer on $TLSHOST_URI; see $TLSHOST/libvirtd.log"
  fi
  write_tlshost_tree
  start_ns_daemon "$TLSHOST" TLS-display "$TLSHOST_TCP_PORT" tlshost_answers
  record_started tlshost
  timeout 120 virsh -q -c "$TLSHOST_URI" capabilities >/dev/null
  timeout 120 virsh -q -c "$TLSHOST_URI" domcapabilities --virttype qemu >/dev/null 2>&1 || true
}

stop_tlshost() {
  [ -e "$STATE/started/tlshost" ] || return 0
  stop_ns_daemon "$TLSHOST" TLS-display
  rm -f "$STATE/started/tlshost"
}

# ---------------------------------------------------------------- sshd
start_sshd() {
  local d="$STATE/ssh" user
  user="$(id -un)"
  mkdir -p "$d"
  chmod 0700 "$d"
  [ -s "$d/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C 'libvirt-vms test host' -f "$d/ssh_host_ed25519_key"
  [ -s "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C 'libvirt-vms test client' -f "$d/id_ed25519"
  cp -f "$d/id_ed25519.pub" "$d/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1-2 "$d/ssh_host_ed25519_key.pub")" >"$d/known_hosts"
  cat >"$d/sshd_config" <<EOF
# Test-only sshd written by scripts/testenv.sh: key authentication with a throwaway key.
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/ssh_host_ed25519_key
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
  local old
  old="$(read_pid "$d/sshd.pid")"
  if pid_alive "$old" && port_open "$SSH_PORT"; then return 0; fi
  if port_open "$SSH_PORT"; then
    log "something else listens on 127.0.0.1:$SSH_PORT; using it"
    return 0
  fi
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  log "starting sshd on 127.0.0.1:$SSH_PORT for user $user"
  /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" 9>&-
  local i
  for i in $(seq 1 50); do
    port_open "$SSH_PORT" && { record_started sshd; return 0; }
    sleep 0.1
  done
  die "sshd did not listen on 127.0.0.1:$SSH_PORT (log: $d/sshd.log)"
}

ensure_password_user() {
  # The password lives in $STATE/ssh/password (0600); the account gets a new one whenever
  # either of them is new.
  local d="$STATE/ssh" pw
  if ! getent passwd "$SSH_PASSWORD_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh "$SSH_PASSWORD_USER"
    rm -f "$d/password"
  fi
  if [ ! -s "$d/password" ]; then
    pw="$(openssl rand -hex 16)"
    (umask 077; printf '%s\n' "$pw" >"$d/password.new")
    printf '%s:%s\n' "$SSH_PASSWORD_USER" "$pw" | chpasswd
    mv -f "$d/password.new" "$d/password"
  fi
}

start_sshd_password() {
  # A separate daemon, so the key-only sshd above never offers passwords. Same host key.
  local d="$STATE/ssh"
  [ "$(id -u)" -eq 0 ] || { log "not root: no password sshd (the SSH password tests will fail)"; return 0; }
  ensure_password_user
  cat >"$d/sshd_password_config" <<EOF
# Test-only sshd written by scripts/testenv.sh: password authentication for $SSH_PASSWORD_USER only.
Port $SSH_PASSWORD_PORT
ListenAddress 127.0.0.1
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd-password.pid
AllowUsers $SSH_PASSWORD_USER
PubkeyAuthentication no
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowTcpForwarding no
MaxStartups 100:30:200
LogLevel ERROR
EOF
  local old
  old="$(read_pid "$d/sshd-password.pid")"
  if pid_alive "$old" && port_open "$SSH_PASSWORD_PORT"; then return 0; fi
  if port_open "$SSH_PASSWORD_PORT"; then
    log "something else listens on 127.0.0.1:$SSH_PASSWORD_PORT; using it"
    return 0
  fi
  log "starting the password sshd on 127.0.0.1:$SSH_PASSWORD_PORT for user $SSH_PASSWORD_USER"
  /usr/sbin/sshd -f "$d/sshd_password_config" -E "$d/sshd-password.log" 9>&-
  local i
  for i in $(seq 1 50); do
    port_open "$SSH_PASSWORD_PORT" && { record_started sshd-password; return 0; }
    sleep 0.1
  done
  die "the password sshd did not listen on 127.0.0.1:$SSH_PASSWORD_PORT (log: $d/sshd-password.log)"
}

# ---------------------------------------------------------------- cron
# Debian's cron daemon (Vixie cron) runs the schedules' crontab entries. Started only when no cron
# daemon runs yet; then its PID file is Debian's /run/crond.pid (cron writes it itself).
CRON_PIDFILE=/run/crond.pid

cron_running() { [ -n "$(live_pids cron)" ] || [ -n "$(live_pids crond)" ]; }

start_cron() {
  [ "$(id -u)" -eq 0 ] || { log "not root: not starting cron (the schedule tests will fail)"; return 0; }
  if cron_running; then return 0; fi
  log "starting cron"
  /usr/sbin/cron 9>&-
  local i
  for i in $(seq 1 50); do
    pid_alive "$(read_pid "$CRON_PIDFILE")" && { record_started cron; return 0; }
    sleep 0.1
  done
  die "cron did not start (no live PID in $CRON_PIDFILE)"
}

cron_status() {
  if cron_running; then echo "cron: running"; else echo "cron: not running"; fi
}

# ---------------------------------------------------------------- commands
# True when LIBVIRT_TEST_URI names a daemon chosen by the developer, as opposed to the value
# `env` exported for the daemon this script manages (LIBVIRT_VMS_OWN_DAEMON=1): a test that
# restarts the daemon through `start` must still get it restarted.
developer_uri() {
  [ -n "${LIBVIRT_TEST_URI:-}" ] && [ "${LIBVIRT_VMS_OWN_DAEMON:-0}" != 1 ]
}

cmd_start() {
  for c in virsh libvirtd virtlogd /usr/sbin/sshd ssh-keygen openssl ovsdb-server ovs-vswitchd ovs-vsctl /usr/sbin/cron crontab; do
    command -v "$c" >/dev/null 2>&1 || die "$c is missing: run scripts/testenv.sh install"
  done
  mkdir -p "$STATE/started"
  chmod 0755 "$STATE"
  # Serialise concurrent starts. The daemons must not inherit the lock's descriptor (9>&- below).
  exec 9>"$STATE/start.lock"
  flock -w 300 9 || die "another testenv.sh start holds $STATE/start.lock"
  local t0=$SECONDS
  gen_pki
  if developer_uri; then
    log "LIBVIRT_TEST_URI=$LIBVIRT_TEST_URI is set: not starting libvirtd"
  else
    [ "$(id -u)" -eq 0 ] || die "starting libvirtd needs root (or set LIBVIRT_TEST_URI to an existing daemon)"
    ensure_qemu_conf
    ensure_kvm_device_access
    ensure_tmp_sticky
    start_virtlogd
    start_ovs
    start_libvirtd
    ensure_default_network
    start_peer
    start_tlshost
  fi
  start_sshd
  start_sshd_password
  start_cron
  log "ready in $((SECONDS - t0)) s"
}

stop_one() {
  local name="$1" pidf
  case "$name" in
    peer) stop_peer; return 0 ;;
    tlshost) stop_tlshost; return 0 ;;
    libvirtd) pidf="$STATE/libvirtd.pid" ;;
    virtlogd) pidf="$STATE/virtlogd.pid" ;;
    sshd) pidf="$STATE/ssh/sshd.pid" ;;
    sshd-password) pidf="$STATE/ssh/sshd-password.pid" ;;
    ovs-vswitchd) pidf="$STATE/ovs/ovs-vswitchd.pid" ;;
    ovsdb-server) pidf="$STATE/ovs/ovsdb-server.pid" ;;
    cron) pidf="$CRON_PIDFILE" ;;
    *) die "unknown daemon: $name" ;;
  esac
  [ -e "$STATE/started/$name" ] || return 0
  local pid
  pid="$(read_pid "$pidf")"
  if pid_alive "$pid"; then
    log "stopping $name ($pid)"
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/started/$name"
}

cmd_stop() {
  local names=("$@")
  [ "${#names[@]}" -gt 0 ] || names=(cron sshd sshd-password peer tlshost libvirtd virtlogd ovs-vswitchd ovsdb-server)
  local n
  # libvirtd before virtlogd: running VMs log through virtlogd; vswitchd before its database.
  for n in cron sshd sshd-password peer tlshost libvirtd virtlogd ovs-vswitchd ovsdb-server; do
    local want=0 m
    for m in "${names[@]}"; do [ "$m" = "$n" ] && want=1; done
    [ "$want" -eq 1 ] && stop_one "$n"
  done
  return 0
}

cmd_status() {
  local rc=0
  if libvirt_answers; then echo "libvirtd: answers on $SYSTEM_URI"; else echo "libvirtd: not answering"; rc=1; fi
  if port_open "$TCP_PORT"; then echo "tcp: 127.0.0.1:$TCP_PORT open"; else echo "tcp: 127.0.0.1:$TCP_PORT closed"; fi
  if port_open "$TLS_PORT"; then echo "tls: 127.0.0.1:$TLS_PORT open"; else echo "tls: 127.0.0.1:$TLS_PORT closed"; fi
  if peer_answers; then echo "peer: answers on $PEER_URI"; else echo "peer: not answering on $PEER_URI"; fi
  if tlshost_answers; then echo "tlshost: answers on $TLSHOST_URI (TLS on 127.0.0.1:$TLSHOST_TLS_PORT)"; else echo "tlshost: not answering on $TLSHOST_URI"; fi
  if port_open "$SSH_PORT"; then echo "sshd: 127.0.0.1:$SSH_PORT open"; else echo "sshd: 127.0.0.1:$SSH_PORT closed"; rc=1; fi
  if ovs_answers; then echo "openvswitch: answers on $OVS_RUN/db.sock"; else echo "openvswitch: not answering"; fi
  if port_open "$SSH_PASSWORD_PORT"; then echo "sshd-password: 127.0.0.1:$SSH_PASSWORD_PORT open"; else echo "sshd-password: 127.0.0.1:$SSH_PASSWORD_PORT closed"; fi
  cron_status
  echo "started by this script: $(ls "$STATE/started" 2>/dev/null | tr '\n' ' ')"
  return "$rc"
}

cmd_env() {
  emit() { printf 'export %s=%q\n' "$1" "$2"; }
  emit LIBVIRT_VMS_STATE "$STATE"
  if developer_uri; then emit LIBVIRT_VMS_OWN_DAEMON 0; else emit LIBVIRT_VMS_OWN_DAEMON 1; fi
  emit LIBVIRT_TEST_URI "${LIBVIRT_TEST_URI:-$SYSTEM_URI}"
  emit LIBVIRT_TEST_SOCKET "${LIBVIRT_TEST_SOCKET:-/run/libvirt/libvirt-sock}"
  emit LIBVIRT_TEST_TCP "${LIBVIRT_TEST_TCP:-127.0.0.1:$TCP_PORT}"
  emit LIBVIRT_TEST_TLS "${LIBVIRT_TEST_TLS:-127.0.0.1:$TLS_PORT}"
  emit LIBVIRT_TEST_PKI "${LIBVIRT_TEST_PKI:-$STATE/pki}"
  emit LIBVIRT_TEST_SSH_HOST "${LIBVIRT_TEST_SSH_HOST:-127.0.0.1}"
  emit LIBVIRT_TEST_SSH_PORT "${LIBVIRT_TEST_SSH_PORT:-$SSH_PORT}"
  emit LIBVIRT_TEST_SSH_USER "${LIBVIRT_TEST_SSH_USER:-$(id -un)}"
  emit LIBVIRT_TEST_SSH_KEY "${LIBVIRT_TEST_SSH_KEY:-$STATE/ssh/id_ed25519}"
  emit LIBVIRT_TEST_SSH_KNOWN_HOSTS "${LIBVIRT_TEST_SSH_KNOWN_HOSTS:-$STATE/ssh/known_hosts}"
  emit LIBVIRT_TEST_SSH_PASSWORD_PORT "${LIBVIRT_TEST_SSH_PASSWORD_PORT:-$SSH_PASSWORD_PORT}"
  emit LIBVIRT_TEST_SSH_PASSWORD_USER "${LIBVIRT_TEST_SSH_PASSWORD_USER:-$SSH_PASSWORD_USER}"
  emit LIBVIRT_TEST_SSH_PASSWORD_FILE "${LIBVIRT_TEST_SSH_PASSWORD_FILE:-$STATE/ssh/password}"
  emit LIBVIRT_TEST_PEER_URI "${LIBVIRT_TEST_PEER_URI:-$PEER_URI}"
  emit LIBVIRT_TEST_PEER_TCP "${LIBVIRT_TEST_PEER_TCP:-127.0.0.1:$PEER_TCP_PORT}"
  emit LIBVIRT_TEST_TLSHOST_TLS "${LIBVIRT_TEST_TLSHOST_TLS:-127.0.0.1:$TLSHOST_TLS_PORT}"
  emit LIBVIRT_TEST_TLSHOST_TCP "${LIBVIRT_TEST_TLSHOST_TCP:-127.0.0.1:$TLSHOST_TCP_PORT}"
  emit LIBVIRT_TEST_SHARED_DIR "${LIBVIRT_TEST_SHARED_DIR:-$SHARED_DIR}"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 {install|start|stop [libvirtd|virtlogd|sshd|sshd-password|peer|tlshost|cron]...|status|env}" >&2; exit 2 ;;
esac
