import * as assert from 'node:assert/strict';
import { usableAddresses } from '../../../src/commands/vm/interfaceAddresses';

describe('interfaceAddresses (unit)', () => {
  it('keeps routable addresses in order and drops loopback and link-local ones', () => {
    const found = usableAddresses(
      [
        { name: 'lo', hwaddr: '00:00:00:00:00:00', addrs: [{ type: 0, addr: '127.0.0.1', prefix: 8 }, { type: 1, addr: '::1', prefix: 128 }] },
        {
          name: 'enp1s0',
          hwaddr: '52:54:00:12:34:56',
          addrs: [
            { type: 0, addr: '192.168.122.50', prefix: 24 },
            { type: 1, addr: 'FE80::5054:ff:fe12:3456', prefix: 64 },
            { type: 1, addr: 'fd00::50', prefix: 64 },
          ],
        },
      ],
      'guest agent',
    );
    assert.deepEqual(
      found.map((f) => [f.addr, f.iface, f.source]),
      [
        ['192.168.122.50', 'enp1s0', 'guest agent'],
        ['fd00::50', 'enp1s0', 'guest agent'],
      ],
    );
  });

  it('returns nothing for a VM without addresses', () => {
    assert.deepEqual(usableAddresses([{ name: 'vnet0', hwaddr: null, addrs: [] }], 'DHCP lease'), []);
  });
});
