// The one table from errors to guide sections (src/ui/errorHelp.ts), on libvirt's real messages:
// those below were produced by libvirt 9.0.0 / QEMU 7.2 on the test machine (virsh against the
// test daemon; docs/troubleshooting.md quotes them), with the codes libvirt sent
// (include/virterror.h). test/integration/help/errorHelp.test.ts produces more of them live.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VirErrorNumber as E, VirErrorDomain as D } from '../../../src/libvirt/generated/libvirtConstants';
import { ConnectionClosedError, LibvirtError, UnsupportedAuthError } from '../../../src/libvirt/rpc/errors';
import { HostKeyMismatchError, HostKeyRejectedError, TlsRejectedError, TransportError } from '../../../src/libvirt/transport/transportErrors';
import { describeSocketError } from '../../../src/libvirt/transport/socketConnect';
import { NetworkStartError } from '../../../src/libvirt/resources/networkStart';
import { headingAnchor, headingLine, helpForError, HELP_DOCS, TOPICS, type HelpTopic } from '../../../src/ui/errorHelp';

const ROOT = path.resolve(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}out${path.sep}`) ? ['..'] : []));

function libvirt(code: number, domain: number, message: string, int1 = -1): LibvirtError {
  return new LibvirtError({ code, domain, message, level: 2, str1: null, str2: null, str3: null, int1, int2: -1, domainName: null, networkName: null });
}

function socketError(code: string): TransportError {
  const cause = Object.assign(new Error(`connect ${code} /run/libvirt/libvirt-sock`), { code });
  return new TransportError(`Cannot connect to /run/libvirt/libvirt-sock: ${describeSocketError(cause)}`, { cause });
}

/** [error, expected topic]: real messages with the codes libvirt gives them. */
const CASES: readonly [string, unknown, HelpTopic][] = [
  ['socket missing', socketError('ENOENT'), TOPICS.daemonDown],
  ['socket refused', socketError('ECONNREFUSED'), TOPICS.daemonDown],
  ['socket permission', socketError('EACCES'), TOPICS.socketPermission],
  ['polkit agent', libvirt(E.AUTH_UNAVAILABLE, D.RPC, "authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'"), TOPICS.polkit],
  ['no system bus (a disconnect reason)', 'Unable to get system bus connection: Could not connect: No such file or directory', TOPICS.polkit],
  ['access driver', libvirt(E.ACCESS_DENIED, D.ACCESS, "access denied: 'open' operation denied"), TOPICS.polkit],
  ['SASL', new UnsupportedAuthError([1]), TOPICS.sasl],
  ['host key changed', new HostKeyMismatchError('h1', 'SHA256:abc', '/root/.ssh/known_hosts'), TOPICS.hostKey],
  ['host key changed (the tree reason text)', new HostKeyMismatchError('h1', 'SHA256:abc', '/k').message, TOPICS.hostKey],
  ['host key declined', new HostKeyRejectedError('h1', 'SHA256:abc'), TOPICS.hostKey],
  ['TLS rejected', new TlsRejectedError('h1'), TOPICS.tls],
  ['TLS CA', libvirt(E.SYSTEM_ERROR, D.RPC, "Cannot read CA certificate '/etc/pki/CA/cacert.pem': No such file or directory", 2), TOPICS.tls],
  ['keepalive', new ConnectionClosedError('keepalive timeout'), TOPICS.connectionLost],
  ['no KVM', libvirt(E.INVALID_ARG, D.QEMU, 'invalid argument: could not find capabilities for domaintype=kvm '), TOPICS.noKvm],
  ['UEFI without ACPI', libvirt(E.CONFIG_UNSUPPORTED, D.DOMAIN, 'unsupported configuration: UEFI requires ACPI on this architecture'), TOPICS.ovmf],
  ['loader without template', libvirt(E.OPERATION_FAILED, D.QEMU, 'operation failed: unable to find any master var store for loader: /nonexistent/OVMF_CODE.fd'), TOPICS.ovmf],
  ['network inactive', libvirt(E.OPERATION_INVALID, D.NETWORK, "Requested operation is not valid: network 'default' is not active"), TOPICS.networkInactive],
  ['network missing', libvirt(E.NO_NETWORK, D.NETWORK, "Network not found: no network with matching name 'hlp-nonet'"), TOPICS.networkInactive],
  ['dnsmasq', libvirt(E.INTERNAL_ERROR, D.NETWORK, "internal error: Unable to find 'dnsmasq' binary"), TOPICS.dnsmasq],
  ['no SR-IOV VFs', libvirt(E.INTERNAL_ERROR, D.NETWORK, "internal error: No usable Vf's present on SRIOV PF nsl123-pf"), TOPICS.networkStart],
  ['no SR-IOV VFs, explained', new NetworkStartError('pool', "internal error: No usable Vf's present on SRIOV PF eth3", 'eth3 has no virtual functions…', undefined), TOPICS.networkStart],
  ['QoS the kernel cannot apply', libvirt(E.INTERNAL_ERROR, D.NONE, 'internal error: Child process (tc qdisc add dev virbr5 parent 1:1 handle 2: sfq perturb 10) unexpected exit status 2: Error: Specified qdisc kind is unknown.'), TOPICS.networkStart],
  ['subnet in use', libvirt(E.INTERNAL_ERROR, D.NETWORK, 'internal error: Network is already in use by interface virbr0'), TOPICS.networkStart],
  ['disk file missing', libvirt(E.SYSTEM_ERROR, D.STORAGE, "Cannot access storage file '/var/lib/libvirt/images/hlp-nonexistent.qcow2' (as uid:64055, gid:64055): No such file or directory", 2), TOPICS.missingStorage],
  ['pool missing', libvirt(E.NO_STORAGE_POOL, D.STORAGE, "Storage pool not found: no storage pool with matching name 'hlp-nopool'"), TOPICS.missingStorage],
  ['disk permission', libvirt(E.SYSTEM_ERROR, D.STORAGE, "Cannot access storage file '/home/u/vm.qcow2' (as uid:64055, gid:64055): Permission denied", 13), TOPICS.storagePermission],
  ['virtlogd', libvirt(E.SYSTEM_ERROR, D.RPC, "Failed to connect socket to '/run/libvirt/virtlogd-sock': No such file or directory", 2), TOPICS.virtlogd],
  ['name taken', libvirt(E.OPERATION_FAILED, D.QEMU, "operation failed: domain 'hlp-probe2' already exists with uuid 572ebf66-e54c-495f-8488-45e513de8bb9"), TOPICS.nameTaken],
  ['no passthrough', libvirt(E.CONFIG_UNSUPPORTED, D.QEMU, "unsupported configuration: host doesn't support passthrough of host PCI devices"), TOPICS.passthroughUnsupported],
  ['schema', libvirt(E.XML_INVALID_SCHEMA, D.DOMAIN, 'XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/domain.rng'), TOPICS.definitionRefused],
  ['unsafe migration', libvirt(E.MIGRATE_UNSAFE, D.QEMU, 'Unsafe migration: Migration may lead to data corruption if disks use cache other than none or directsync'), TOPICS.migrationRefused],
];

describe('error help table (unit)', () => {
  for (const [name, err, expected] of CASES) {
    it(`sends "${name}" to ${expected.doc}.md#${expected.section}`, () => {
      assert.deepEqual(helpForError(err), expected);
    });
  }

  it('offers no help for errors the guides do not explain', () => {
    assert.equal(helpForError(libvirt(E.OPERATION_INVALID, D.DOMAIN, 'Requested operation is not valid: domain is not running')), undefined);
    assert.equal(helpForError(new Error('Snapshot name is empty')), undefined);
    assert.equal(helpForError(undefined), undefined);
  });

  it('every topic is a heading of its guide, and every guide ships with the extension', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    for (const d of HELP_DOCS) assert.ok(ignore.includes(`!docs/${d.doc}.md`), `docs/${d.doc}.md is left out of the package`);
    const guides = new Map(HELP_DOCS.map((d) => [d.doc, fs.readFileSync(path.join(ROOT, 'docs', `${d.doc}.md`), 'utf8')]));
    for (const t of Object.values(TOPICS)) {
      const text = guides.get(t.doc)!;
      const line = headingLine(text, t.section);
      assert.ok(line !== undefined, `docs/${t.doc}.md has no heading "${t.title}" (#${t.section})`);
      assert.match(text.split('\n')[line], /^#{1,6} /);
      assert.equal(text.split('\n')[line].replace(/^#+\s+/, '').trim(), t.title);
    }
  });

  it('finds the line of a heading by its anchor, not a look-alike in a code block', () => {
    const md = ['# Guide', '', '```sh', '# The daemon is down', '```', '', '## The daemon is down', 'text', '### Other'].join('\n');
    assert.equal(headingLine(md, 'the-daemon-is-down'), 6);
    assert.equal(headingLine(md, 'other'), 8);
    assert.equal(headingLine(md, 'missing'), undefined);
  });

  it('derives anchors as GitHub and the Markdown preview do', () => {
    assert.equal(headingAnchor("Network 'default' is not active"), 'network-default-is-not-active');
    assert.equal(headingAnchor('UEFI firmware (OVMF) is missing'), 'uefi-firmware-ovmf-is-missing');
  });
});
