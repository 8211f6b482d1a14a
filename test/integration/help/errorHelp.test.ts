// The error help table (src/ui/errorHelp.ts) on errors the real daemon produces: each case makes
// libvirt refuse something the way users meet it (a disk file that is not there, a stopped or
// missing network, a missing pool, UEFI without ACPI, a taken name) and checks that the error
// leads to the guide section that explains it.
import * as assert from 'node:assert/strict';
import { Connection, type DomainRef, type NetworkRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { LibvirtError } from '../../../src/libvirt/rpc/errors';
import { helpForError, TOPICS, type HelpTopic } from '../../../src/ui/errorHelp';
import { removeDeadRunObjects } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'hlp-err-';
const tag = `${PREFIX}${process.pid}`;

function domain(name: string, devices: string, extra = ''): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory>${extra}
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>${devices}</devices></domain>`;
}

describe('error help on real libvirt errors (integration)', function () {
  this.timeout(60000);
  let conn: Connection;
  const doms: DomainRef[] = [];
  const nets: NetworkRef[] = [];

  /** The error of a call that must fail. */
  async function refusal(p: Promise<unknown>): Promise<LibvirtError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(LibvirtError.is(err), `libvirt accepted it, or failed otherwise: ${String(err)}`);
    return err;
  }

  async function defined(name: string, devices: string): Promise<DomainRef> {
    const d = await conn.domainDefineXml(domain(name, devices));
    doms.push(d);
    return d;
  }

  function assertTopic(err: LibvirtError, expected: HelpTopic): void {
    assert.deepEqual(helpForError(err), expected, `"${err.message}" (code ${err.code}) should lead to ${expected.doc}.md#${expected.section}`);
  }

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
    }
    for (const n of nets) await conn.networkUndefine(n).catch(() => undefined);
    await conn?.close();
  });

  it('a disk file that does not exist (accepted by define, refused at start)', async () => {
    const d = await defined(`${tag}-nofile`, `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/${tag}-missing.qcow2'/><target dev='vda' bus='virtio'/></disk>`);
    const err = await refusal(conn.domainCreate(d));
    assert.match(err.message, /No such file or directory/);
    assertTopic(err, TOPICS.missingStorage);
  });

  it('a storage pool that does not exist', async () => {
    const d = await defined(`${tag}-nopool`, `<disk type='volume' device='disk'><source pool='${tag}-nopool' volume='x.qcow2'/><target dev='vda' bus='virtio'/></disk>`);
    assertTopic(await refusal(conn.domainCreate(d)), TOPICS.missingStorage);
  });

  it('a network that does not exist, and one that is not running', async () => {
    const missing = await defined(`${tag}-nonet`, `<interface type='network'><source network='${tag}-nonet'/></interface>`);
    assertTopic(await refusal(conn.domainCreate(missing)), TOPICS.networkInactive);
    const net = await conn.networkDefineXml(`<network><name>${tag}-off</name><bridge name='vbh${process.pid % 100000}'/></network>`);
    nets.push(net);
    const stopped = await defined(`${tag}-netoff`, `<interface type='network'><source network='${tag}-off'/></interface>`);
    const err = await refusal(conn.domainCreate(stopped));
    assert.match(err.message, /is not active/);
    assertTopic(err, TOPICS.networkInactive);
  });

  it('UEFI without ACPI (define with VALIDATE)', async () => {
    const xml = `<domain type='qemu'><name>${tag}-efi</name><memory unit='MiB'>64</memory><os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os></domain>`;
    assertTopic(await refusal(conn.domainDefineXml(xml, VirDomainDefineFlags.VALIDATE)), TOPICS.ovmf);
  });

  it('a name another VM has', async () => {
    await defined(`${tag}-twin`, '');
    const other = domain(`${tag}-twin`, '').replace('<name>', `<uuid>${'0'.repeat(8)}-0000-4000-8000-${String(process.pid).padStart(12, '0')}</uuid><name>`);
    assertTopic(await refusal(conn.domainDefineXml(other)), TOPICS.nameTaken);
  });
});
