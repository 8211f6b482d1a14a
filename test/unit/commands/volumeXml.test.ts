import * as assert from 'node:assert/strict';
import { cloneVolumeXml, volumeFacts } from '../../../src/commands/clone/volumeXml';

// The shape of `virsh vol-dumpxml` for a qcow2 volume in a dir pool (libvirt 9.0).
const VOL = `<volume type='file'>
  <name>web.qcow2</name>
  <key>/var/lib/libvirt/images/web.qcow2</key>
  <capacity unit='bytes'>16777216</capacity>
  <allocation unit='bytes'>200704</allocation>
  <physical unit='bytes'>196768</physical>
  <target>
    <path>/var/lib/libvirt/images/web.qcow2</path>
    <format type='qcow2'/>
    <permissions><mode>0600</mode><owner>0</owner><group>0</group></permissions>
    <compat>1.1</compat>
    <clusterSize unit='B'>65536</clusterSize>
    <features/>
  </target>
</volume>`;

describe('volumeXml (unit)', () => {
  it('reads the path and format of a volume', () => {
    assert.deepEqual(volumeFacts(VOL), { path: '/var/lib/libvirt/images/web.qcow2', format: 'qcow2' });
  });

  it('writes the new volume with the source format and capacity, escaping the name', () => {
    const xml = cloneVolumeXml("a&b'.qcow2", 16777216, 'qcow2');
    assert.equal(xml, "<volume><name>a&amp;b'.qcow2</name><capacity unit='bytes'>16777216</capacity><target><format type='qcow2'/></target></volume>");
    assert.equal(cloneVolumeXml('x', 1, undefined), "<volume><name>x</name><capacity unit='bytes'>1</capacity></volume>");
  });

  it('refuses a document that is not a volume', () => {
    assert.throws(() => volumeFacts('<pool/>'), /Expected a <volume> document/);
  });
});
