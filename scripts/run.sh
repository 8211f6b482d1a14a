#!/usr/bin/env bash
# The single "run the extension" command (`npm start`). On a fresh Debian 12 machine, as root:
#   installs and starts libvirtd + virtlogd + the default network (scripts/testenv.sh),
#   installs code-server and Chromium (scripts/vscode-env.sh), builds the extension,
#   defines and starts two small demo VMs (vmdemo-serial, vmdemo-vnc; TCG, 256 MiB, empty disk),
#   then serves VS Code with the extension installed on http://127.0.0.1:$PORT/ until Ctrl-C.
# PORT defaults to 8080. VMs and daemons keep running afterwards; `bash scripts/testenv.sh stop`
# stops the daemons this tooling started, `bash scripts/run.sh --remove-demo` removes the demo VMs.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PORT="${PORT:-8080}"
URI="qemu:///system"
DEMO_POOL="vmdemo"
DEMO_POOL_DIR="/var/lib/libvirt/images/vmdemo"
DEMO_VMS=(vmdemo-serial vmdemo-vnc)
RUN_STATE="$ROOT/.tools/run-state"

log() { printf '[run] %s\n' "$*"; }
die() { printf '[run] ERROR: %s\n' "$*" >&2; exit 1; }

domain_xml() {
  # $1: name, $2: disk path, $3: "serial" for a SeaBIOS serial console.
  local name="$1" disk="$2" extra_os="" extra_dev=""
  if [ "$3" = serial ]; then
    extra_os="<bios useserial='yes'/>"
    extra_dev="<serial type='pty'><target port='0'/></serial><console type='pty'><target type='serial' port='0'/></console>"
  fi
  cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <description>Demo VM created by scripts/run.sh (no operating system: the firmware runs and finds no boot disk).</description>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/>$extra_os</os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='vga'/></video>
    $extra_dev
  </devices>
</domain>
EOF
}

virsh_q() { virsh -q -c "$URI" "$@"; }

ensure_demo_vms() {
  local tmp
  tmp="$(mktemp -d)"
  if ! virsh_q pool-info "$DEMO_POOL" >/dev/null 2>&1; then
    log "defining storage pool $DEMO_POOL at $DEMO_POOL_DIR"
    mkdir -p "$DEMO_POOL_DIR"
    chmod 0755 "$DEMO_POOL_DIR"
    printf "<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>\n" "$DEMO_POOL" "$DEMO_POOL_DIR" >"$tmp/pool.xml"
    virsh_q pool-define "$tmp/pool.xml" >/dev/null
    virsh_q pool-autostart "$DEMO_POOL" >/dev/null || true
  fi
  local pinfo
  pinfo="$(virsh_q pool-info "$DEMO_POOL" 2>/dev/null || true)"
  if ! grep -Eq '^State:[[:space:]]+running' <<<"$pinfo"; then
    virsh_q pool-start "$DEMO_POOL" >/dev/null
  fi
  local name kind
  for name in "${DEMO_VMS[@]}"; do
    kind=vnc
    [ "$name" = vmdemo-serial ] && kind=serial
    local vol="$name.qcow2"
    if ! virsh_q vol-info --pool "$DEMO_POOL" "$vol" >/dev/null 2>&1; then
      log "creating volume $DEMO_POOL/$vol (1 GiB qcow2, empty)"
      virsh_q vol-create-as "$DEMO_POOL" "$vol" 1G --format qcow2 >/dev/null
    fi
    if ! virsh_q dominfo "$name" >/dev/null 2>&1; then
      log "defining $name"
      domain_xml "$name" "$DEMO_POOL_DIR/$vol" "$kind" >"$tmp/$name.xml"
      virsh_q define "$tmp/$name.xml" >/dev/null
    fi
    if [ "$(virsh_q domstate "$name" 2>/dev/null || true)" != "running" ]; then
      log "starting $name"
      virsh_q start "$name" >/dev/null || log "warning: $name did not start (see virsh start $name)"
    fi
  done
  rm -rf "$tmp"
}

remove_demo_vms() {
  local name
  for name in "${DEMO_VMS[@]}"; do
    virsh_q destroy "$name" >/dev/null 2>&1 || true
    virsh_q undefine "$name" --remove-all-storage >/dev/null 2>&1 || virsh_q undefine "$name" >/dev/null 2>&1 || true
  done
  virsh_q pool-destroy "$DEMO_POOL" >/dev/null 2>&1 || true
  virsh_q pool-undefine "$DEMO_POOL" >/dev/null 2>&1 || true
  log "demo VMs and pool removed"
}

if [ "${1:-}" = "--remove-demo" ]; then
  remove_demo_vms
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root: it installs Debian packages and starts libvirtd"
if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; then
  die "127.0.0.1:$PORT is in use: choose another port, e.g. PORT=8081 npm start"
fi

# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"
ensure_node_modules
bash scripts/testenv.sh install
bash scripts/testenv.sh start
bash scripts/vscode-env.sh install
log "building"
node esbuild.mjs
# The serve command lives in the test harness; type errors elsewhere do not stop the bundle above.
npx tsc -p . || log "warning: tsc reported type errors (above); the esbuild bundle is used regardless"
[ -f out/test/vscode/harness/main.js ] || die "out/test/vscode/harness/main.js was not built"
ensure_demo_vms
virsh_q list --all

cat <<EOF

WARNING: code-server runs with --auth none. It listens on 127.0.0.1 only, but anyone who can
open a connection to 127.0.0.1:$PORT on this machine (other local users, SSH port forwards)
gets a VS Code running as $(id -un), with a terminal. Do not forward this port to others.

EOF
mkdir -p "$RUN_STATE/workspace"
exec node out/test/vscode/harness/main.js serve --port "$PORT" --state "$RUN_STATE" --workspace "$RUN_STATE/workspace"
