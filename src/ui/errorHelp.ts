// The one table from errors to the section of the bundled guides (docs/*.md) that explains them.
// No `vscode` import: the tree's disconnected rows, the error notifications and the unit tests
// all read it. Our own errors are matched by class (their static `is()` guards); libvirt's errors
// by code and, where one code covers many causes (SYSTEM_ERROR, OPERATION_FAILED, INTERNAL_ERROR
// and CONFIG_UNSUPPORTED all carry the actual cause only in their text), by libvirt's message
// text, which is stable across releases and the only place the cause is named.

import { VirErrorNumber as E } from '../libvirt/generated/libvirtConstants';
import { LibvirtError, UnsupportedAuthError, ConnectionClosedError } from '../libvirt/rpc/errors';
import { HostKeyMismatchError, HostKeyRejectedError, TlsRejectedError, TransportError } from '../libvirt/transport/transportErrors';
import { NetworkStartError } from '../libvirt/resources/networkStart';
import { HostInterfaceMissingError } from '../libvirt/resources/missingInterfaces';

/** The guides shipped with the extension (docs/<doc>.md). */
export type HelpDoc = 'troubleshooting' | 'passthrough' | 'migration';

export const HELP_DOCS: readonly { readonly doc: HelpDoc; readonly title: string; readonly detail: string }[] = [
  { doc: 'troubleshooting', title: 'Troubleshooting', detail: 'Common libvirt errors and their fixes' },
  { doc: 'passthrough', title: 'Device passthrough', detail: 'PCI, GPU, USB, mediated devices and SR-IOV' },
  { doc: 'migration', title: 'Live migration', detail: 'Requirements, options and migration errors' },
];

/** A heading of a guide: `section` is the anchor GitHub and VS Code's Markdown preview derive from it. */
export interface HelpTopic {
  readonly doc: HelpDoc;
  readonly section: string;
  /** The heading's text (shown on the notification's button tooltip and in the tree). */
  readonly title: string;
}

const topic = (doc: HelpDoc, title: string): HelpTopic => ({ doc, title, section: headingAnchor(title) });

/** The anchor of a Markdown heading as GitHub and VS Code's preview make it (lower case, punctuation dropped, spaces to dashes). */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/** The line of the Markdown heading whose anchor is `section`, if the guide has one. */
export function headingLine(markdown: string, section: string): number | undefined {
  const lines = markdown.split('\n');
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m && headingAnchor(m[1]!) === section) return i;
  }
  return undefined;
}

export const TOPICS = {
  daemonDown: topic('troubleshooting', 'The libvirt daemon is not running'),
  socketPermission: topic('troubleshooting', 'Permission denied on the libvirt socket'),
  polkit: topic('troubleshooting', 'Polkit refuses or cannot ask'),
  sasl: topic('troubleshooting', 'SASL authentication is not supported'),
  hostKey: topic('troubleshooting', 'The SSH host key changed or is unknown'),
  sshAuth: topic('troubleshooting', 'SSH authentication fails'),
  tls: topic('troubleshooting', 'TLS certificates'),
  connectionLost: topic('troubleshooting', 'The connection drops'),
  noKvm: topic('troubleshooting', 'No KVM'),
  ovmf: topic('troubleshooting', 'UEFI firmware (OVMF) is missing'),
  networkInactive: topic('troubleshooting', "Network 'default' is not active"),
  dnsmasq: topic('troubleshooting', 'dnsmasq is missing'),
  networkStart: topic('troubleshooting', 'A network does not start'),
  missingHostInterface: topic('troubleshooting', 'A host bridge or NIC is missing'),
  missingStorage: topic('troubleshooting', 'A disk image or storage pool does not exist'),
  storagePermission: topic('troubleshooting', 'Storage permission denied or AppArmor'),
  virtlogd: topic('troubleshooting', 'virtlogd is not running'),
  nameTaken: topic('troubleshooting', 'A VM with this name already exists'),
  definitionRefused: topic('troubleshooting', 'libvirt refuses the definition'),
  passthroughUnsupported: topic('passthrough', 'The host does not support passthrough'),
  deviceInUse: topic('passthrough', 'The device is in use'),
  migrationRefused: topic('migration', 'When a migration fails'),
} as const;

/** One row of the table: when an error matches, its topic explains it. First match wins. */
interface Rule {
  readonly topic: HelpTopic;
  /** Our error classes, by their guards. */
  readonly is?: (e: unknown) => boolean;
  /** libvirt error codes (virErrorNumber) that always mean this topic. */
  readonly codes?: readonly number[];
  /** libvirt's (or the transport's) wording, for codes that cover many causes and for plain texts (the tree's disconnect reasons). */
  readonly text?: RegExp;
}

const RULES: readonly Rule[] = [
  { topic: TOPICS.hostKey, is: (e) => HostKeyMismatchError.is(e) || HostKeyRejectedError.is(e), text: /host key of .* has CHANGED|host key of .* is not known and was not accepted|REMOTE HOST IDENTIFICATION HAS CHANGED/i },
  { topic: TOPICS.tls, is: (e) => TlsRejectedError.is(e), text: /Cannot read (CA )?certificate|certificate (verify|verification) failed|self[- ]signed certificate|rejected the TLS session/i },
  { topic: TOPICS.sasl, is: (e) => UnsupportedAuthError.is(e), text: /SASL authentication is not supported/i },
  { topic: TOPICS.virtlogd, text: /virtlogd-sock/ },
  { topic: TOPICS.polkit, codes: [E.AUTH_UNAVAILABLE, E.ACCESS_DENIED], text: /polkit|Unable to get system bus connection|authentication unavailable|access denied/i },
  { topic: TOPICS.socketPermission, text: /permission denied \(is your user allowed to use this socket|libvirt-sock[^']*'?: Permission denied/i },
  { topic: TOPICS.daemonDown, text: /the socket does not exist|connection refused \(is the libvirt daemon running|libvirt-sock[^']*'?: (No such file|Connection refused)/i },
  { topic: TOPICS.sshAuth, codes: [E.AUTH_FAILED], text: /All configured authentication methods failed|authentication failed/i },
  { topic: TOPICS.connectionLost, is: (e) => ConnectionClosedError.is(e), text: /libvirt connection closed|keepalive timeout|Cannot recv data|Cannot write data/i },
  { topic: TOPICS.migrationRefused, codes: [E.MIGRATE_PERSIST_FAILED, E.MIGRATE_UNSAFE, E.MIGRATE_FINISH_OK], text: /migrat/i },
  { topic: TOPICS.noKvm, text: /domaintype=kvm|\/dev\/kvm|KVM is not available|Could not access KVM kernel module|kvm_init/i },
  { topic: TOPICS.ovmf, text: /firmware|OVMF|master var store|UEFI requires ACPI|nvram template/i },
  { topic: TOPICS.dnsmasq, text: /Unable to find 'dnsmasq' binary/i },
  { topic: TOPICS.networkInactive, codes: [E.NO_NETWORK], text: /network '[^']*' is not active|no network with matching name/i },
  // Before "already in use" (a device in use): libvirt's network-start refusals, and a VM whose
  // QoS the kernel cannot apply (the same tc failure, at the VM's start).
  { topic: TOPICS.missingHostInterface, is: (e) => HostInterfaceMissingError.is(e), text: /Cannot get interface MTU on '[^']*': No such device/ },
  { topic: TOPICS.networkStart, is: (e) => NetworkStartError.is(e), text: /No usable Vf's present on SRIOV PF|\btc (qdisc|class|filter) add\b|Network is already in use by interface|bridge name '[^']*' already in use/ },
  { topic: TOPICS.passthroughUnsupported, text: /doesn't support passthrough|VFIO|IOMMU|iommu_group/i },
  { topic: TOPICS.deviceInUse, text: /is in use by|already in use|Device or resource busy/i },
  { topic: TOPICS.storagePermission, text: /apparmor|(Cannot access storage file|Could not open|Cannot open|failed to open)[^\n]*Permission denied/i },
  { topic: TOPICS.missingStorage, codes: [E.NO_STORAGE_POOL, E.NO_STORAGE_VOL], text: /Cannot access storage file[^\n]*No such file|no storage (pool|vol(ume)?) with matching|Could not open '[^']*': No such file/i },
  { topic: TOPICS.nameTaken, codes: [E.DOM_EXIST], text: /domain '[^']*' already exists/i },
  { topic: TOPICS.definitionRefused, codes: [E.XML_ERROR, E.XML_INVALID_SCHEMA, E.CONFIG_UNSUPPORTED, E.XML_DETAIL] },
];

/** The texts an error carries: its message and those of its causes (a TransportError wraps the socket's error). */
function texts(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    if (typeof e === 'string') out.push(e);
    else if (e instanceof Error) out.push(e.message);
    else break;
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}

/** The guide section that explains an error (or an error's text, e.g. a disconnect reason), if any. */
export function helpForError(err: unknown): HelpTopic | undefined {
  const all = texts(err);
  for (const r of RULES) {
    if (r.is?.(err)) return r.topic;
    if (r.codes && LibvirtError.is(err) && r.codes.includes(err.code)) return r.topic;
    if (r.text && all.some((t) => r.text!.test(t))) return r.topic;
  }
  // A transport error that none of the rows names is still about reaching the daemon.
  if (TransportError.is(err)) return TOPICS.daemonDown;
  return undefined;
}
