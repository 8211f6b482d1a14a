#!/usr/bin/env bash
# Test environment: a real libvirtd (unix, TCP and TLS listeners), virtlogd, the `default` NAT
# network, an sshd on 127.0.0.1:2222 (public keys only) and a second sshd on 127.0.0.1:2223 that
# takes passwords for one dedicated system user, all with throwaway test-only credentials.
#
#   scripts/testenv.sh install        install missing Debian packages (needs root)
#   scripts/testenv.sh start          start what is not running yet (idempotent)
#   scripts/testenv.sh stop [NAME..]  stop daemons this script started (libvirtd virtlogd sshd sshd-password)
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
# A system account that exists only for the password tests: no home, no key, a random password
# kept in the state directory.
SSH_PASSWORD_USER=libvirt-vms-sshpw
SYSTEM_URI="qemu:///system"
PKG_LIST=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools
  dnsmasq-base libxml2-utils netcat-openbsd openssh-server python3-libvirt openssl lvm2 osinfo-db)

log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- install
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

cmd_install() {
  apt_install_missing "${PKG_LIST[@]}"
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

start_virtlogd() {
  local pidf="$STATE/virtlogd.pid"
  if [ -S /run/libvirt/virtlogd-sock ] && [ -n "$(live_pids virtlogd)" ]; then return 0; fi
  log "starting virtlogd"
  virtlogd -d -p "$pidf" 9>&-
  local i
  for i in $(seq 1 50); do
    [ -S /run/libvirt/virtlogd-sock ] && { record_started virtlogd; return 0; }
    sleep 0.1
  done
  die "virtlogd did not create /run/libvirt/virtlogd-sock"
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
  if pid_alive "$old" || [ -n "$(live_pids libvirtd)" ]; then
    # A running libvirtd that is slow to answer (busy host, long job) is shared by others:
    # wait for it rather than restart it under their feet.
    log "libvirtd is running but does not answer yet; waiting up to 60 s"
    local until_t=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$until_t" ]; do
      libvirt_answers && return 0
      sleep 1
    done
    die "libvirtd ($(live_pids libvirtd)) is running but does not answer on $SYSTEM_URI; see $STATE/libvirtd.log"
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

# ---------------------------------------------------------------- commands
# True when LIBVIRT_TEST_URI names a daemon chosen by the developer, as opposed to the value
# `env` exported for the daemon this script manages (LIBVIRT_VMS_OWN_DAEMON=1): a test that
# restarts the daemon through `start` must still get it restarted.
developer_uri() {
  [ -n "${LIBVIRT_TEST_URI:-}" ] && [ "${LIBVIRT_VMS_OWN_DAEMON:-0}" != 1 ]
}

cmd_start() {
  for c in virsh libvirtd virtlogd /usr/sbin/sshd ssh-keygen openssl; do
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
    start_virtlogd
    start_libvirtd
    ensure_default_network
  fi
  start_sshd
  start_sshd_password
  log "ready in $((SECONDS - t0)) s"
}

stop_one() {
  local name="$1" pidf
  case "$name" in
    libvirtd) pidf="$STATE/libvirtd.pid" ;;
    virtlogd) pidf="$STATE/virtlogd.pid" ;;
    sshd) pidf="$STATE/ssh/sshd.pid" ;;
    sshd-password) pidf="$STATE/ssh/sshd-password.pid" ;;
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
  [ "${#names[@]}" -gt 0 ] || names=(sshd sshd-password libvirtd virtlogd)
  local n
  # libvirtd before virtlogd: running VMs log through virtlogd.
  for n in sshd sshd-password libvirtd virtlogd; do
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
  if port_open "$SSH_PORT"; then echo "sshd: 127.0.0.1:$SSH_PORT open"; else echo "sshd: 127.0.0.1:$SSH_PORT closed"; rc=1; fi
  if port_open "$SSH_PASSWORD_PORT"; then echo "sshd-password: 127.0.0.1:$SSH_PASSWORD_PORT open"; else echo "sshd-password: 127.0.0.1:$SSH_PASSWORD_PORT closed"; fi
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
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 {install|start|stop [libvirtd|virtlogd|sshd|sshd-password]...|status|env}" >&2; exit 2 ;;
esac
