// The POSIX sh script cron runs for every schedule, written by the extension (mode 0700) to
// ~/.local/share/libvirt-vms/run-schedule of the crontab's user and rewritten on every save, so
// it matches the extension that wrote the entries. Its arguments come from the crontab line
// (crontab.ts quotes each one); inside, every argument is only ever used as a double-quoted
// "$variable" or passed to awk through the environment (never `awk -v`, which reads escapes), so
// no VM name or tag is parsed as shell code. It writes nothing to stdout/stderr (cron would mail
// it): the outcome goes to results/<id>.result next to the script, written atomically:
//
//   version=1
//   started=2026-12-03T03:00:01Z
//   finished=2026-12-03T03:00:04Z
//   exit=0
//   ---
//   <the last 40 lines of output>
//
// Runs of one schedule never overlap (a lock directory holding the runner's PID; a stale lock of
// a dead runner is taken over). VMs are found by UUID; a tag is resolved at run time from each
// VM's metadata in the project's namespace (virsh metadata), at any depth, as the extension reads
// tags. Snapshots are named sched-<id>-<UTC time>; retention deletes only names of exactly that
// shape, oldest first, until `keep` remain.

import { APP_METADATA_NS } from '../xml/domainXml';

export const RUN_SCRIPT_VERSION = 1;
/** Below the user's home directory. */
export const SCHEDULE_DIR = '.local/share/libvirt-vms';
export const RUN_SCRIPT_NAME = 'run-schedule';
export const RESULTS_DIR = 'results';
/** Output lines kept in a result file. */
export const RESULT_TAIL_LINES = 40;

export function runScript(): string {
  return `#!/bin/sh
# libvirt-vms schedule runner, version ${RUN_SCRIPT_VERSION}. Written by the libvirt-vms extension for
# VS Code, which rewrites it when a schedule is saved; edits here are lost then.
# Usage (from the crontab): run-schedule ID URI ACTION KEEP vm UUID NAME
#                           run-schedule ID URI ACTION KEEP tag TAG
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
LC_ALL=C
export PATH LC_ALL
NS='${APP_METADATA_NS}'
case $0 in */*) DIR=\${0%/*} ;; *) DIR=. ;; esac
RES="$DIR/${RESULTS_DIR}"

[ $# -ge 6 ] || exit 2
id=$1 uri=$2 action=$3 keep=$4 kind=$5 target=$6 name=\${7-}
case $id in '' | *[!a-z0-9]*) exit 2 ;; esac
case $action in start | shutdown | reboot | snapshot) ;; *) exit 2 ;; esac
case $keep in '' | *[!0-9]*) exit 2 ;; esac
case $kind in vm | tag) ;; *) exit 2 ;; esac
# A VM is named by its UUID: nothing else may reach the word splitting of the VM list below.
if [ "$kind" = vm ]; then case $target in '' | *[!0-9a-fA-F-]*) exit 2 ;; esac; fi
case $uri in *:///session)
  # Under cron XDG_RUNTIME_DIR is unset: find the session daemon where the desktop session has it.
  if [ -z "\${XDG_RUNTIME_DIR-}" ] && [ -d "/run/user/$(id -u)" ]; then XDG_RUNTIME_DIR="/run/user/$(id -u)"; export XDG_RUNTIME_DIR; fi ;;
esac

umask 077
mkdir -p "$RES" || exit 1
lock="$RES/$id.lock"
if ! mkdir "$lock" 2>/dev/null; then
  old=$(cat "$lock/pid" 2>/dev/null || true)
  # The previous run of this schedule is still going: skip this one.
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then exit 0; fi
  rm -rf "$lock"
  mkdir "$lock" 2>/dev/null || exit 0
fi
echo $$ >"$lock/pid"
out="$RES/$id.out.$$"
trap 'rm -rf "$lock" "$out" "$RES/$id.result.$$"' EXIT
trap 'exit 1' HUP INT TERM

say() { printf '%s\\n' "$*"; }
v() { virsh -q -c "$uri" "$@"; }

# Exit status 0 when the metadata XML on stdin has a <tag> (any prefix, any depth) whose text,
# trimmed and with XML's five entities decoded, equals $target.
has_tag() {
  TAG=$target awk 'function decode(s,  out, i, semi, ent, c) {
    out = ""
    while ((i = index(s, "&")) > 0) {
      out = out substr(s, 1, i - 1); s = substr(s, i); semi = index(s, ";")
      ent = semi > 0 ? substr(s, 2, semi - 2) : ""
      if (ent == "lt") c = "<"; else if (ent == "gt") c = ">"; else if (ent == "amp") c = "&"
      else if (ent == "quot") c = "\\""; else if (ent == "apos") c = "\\047"
      else { out = out "&"; s = substr(s, 2); continue }
      out = out c; s = substr(s, semi + 1)
    }
    return out s
  }
  BEGIN { RS = "<"; miss = 1 }
  {
    gt = index($0, ">"); if (gt == 0) next
    head = substr($0, 1, gt - 1); text = substr($0, gt + 1)
    if (substr(head, 1, 1) == "/" || substr(head, length(head), 1) == "/") next
    sub(/[ \\t\\r\\n].*$/, "", head)
    n = split(head, part, ":"); if (part[n] != "tag") next
    gsub(/^[ \\t\\r\\n]+/, "", text); gsub(/[ \\t\\r\\n]+$/, "", text)
    if (decode(text) == ENVIRON["TAG"]) miss = 0
  }
  END { exit miss }'
}

# UUIDs of the VMs to act on, one per line.
targets() {
  if [ "$kind" = vm ]; then say "$target"; return 0; fi
  uuids=$(v list --all --uuid) || return 1
  for u in $uuids; do
    meta=$(v metadata --domain "$u" --uri "$NS" 2>/dev/null) || continue
    if say "$meta" | has_tag; then say "$u"; fi
  done
}

# Deletes this schedule's oldest snapshots of VM $1 until $keep remain.
prune() {
  all=$(v snapshot-list --domain "$1" --name) || return 1
  mine=$(say "$all" | grep -E "^sched-$id-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\\$" | sort)
  count=$(say "$mine" | grep -c . || true)
  excess=$((count - keep))
  [ "$excess" -gt 0 ] || return 0
  rc=0
  # The names match the pattern above: no spaces or glob characters to split on.
  for s in $(say "$mine" | head -n "$excess"); do
    if v snapshot-delete --domain "$1" --snapshotname "$s" >/dev/null; then say "  deleted snapshot $s"; else rc=1; fi
  done
  return $rc
}

act() {
  u=$1
  label=$(v domname --domain "$u" 2>/dev/null) || { say "VM \${name:-$u} ($u) is not defined on $uri"; return 1; }
  if [ "$kind" = vm ] && [ -n "$name" ] && [ "$label" != "$name" ]; then say "VM $u is now named $label (was $name)"; fi
  st=$(v domstate --domain "$u") || return 1
  case $action in
    start)
      case $st in running | paused | "in shutdown") say "$label: already $st"; return 0 ;; esac
      v start --domain "$u" >/dev/null && say "$label: started" ;;
    shutdown)
      case $st in "shut off" | crashed) say "$label: already $st"; return 0 ;; esac
      v shutdown --domain "$u" >/dev/null && say "$label: shutdown requested" ;;
    reboot)
      [ "$st" = running ] || { say "$label: $st, not rebooted"; return 0; }
      v reboot --domain "$u" >/dev/null && say "$label: reboot requested" ;;
    snapshot)
      snap="sched-$id-$(date -u +%Y%m%dT%H%M%SZ)"
      base=$snap; i=2
      while v snapshot-info --domain "$u" --snapshotname "$snap" >/dev/null 2>&1; do snap="$base-$i"; i=$((i + 1)); done
      v snapshot-create-as --domain "$u" --name "$snap" --description "Taken by schedule $id (libvirt-vms)" --atomic >/dev/null || return 1
      say "$label: took snapshot $snap"
      prune "$u" ;;
  esac
}

run() {
  list=$(targets) || { say "could not list the VMs of $uri"; return 1; }
  if [ -z "$list" ]; then
    [ "$kind" = tag ] && say "no VM has the tag $target"
    return 0
  fi
  failed=0
  for u in $list; do act "$u" || failed=$((failed + 1)); done
  [ "$failed" -eq 0 ] || { say "$failed VM(s) failed"; return 1; }
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run >"$out" 2>&1
rc=$?
{
  printf 'version=%s\\nstarted=%s\\nfinished=%s\\nexit=%s\\n---\\n' ${RUN_SCRIPT_VERSION} "$started" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rc"
  tail -n ${RESULT_TAIL_LINES} "$out"
} >"$RES/$id.result.$$" && mv -f "$RES/$id.result.$$" "$RES/$id.result"
exit $rc
`;
}

export interface RunResult {
  readonly started: string;
  readonly finished: string;
  readonly exitCode: number;
  /** The last lines of output. */
  readonly output: string;
}

/** Reads a result file; undefined when it is not one. */
export function parseResult(text: string): RunResult | undefined {
  const sep = text.indexOf('\n---\n');
  if (sep < 0) return undefined;
  const head = new Map<string, string>();
  for (const l of text.slice(0, sep).split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0) head.set(l.slice(0, eq), l.slice(eq + 1));
  }
  const exit = Number(head.get('exit'));
  const started = head.get('started');
  const finished = head.get('finished');
  if (!Number.isInteger(exit) || started === undefined || finished === undefined) return undefined;
  return { started, finished, exitCode: exit, output: text.slice(sep + 5).replace(/\n$/, '') };
}
