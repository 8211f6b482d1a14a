// The clear-text question for displays of qemu+tcp:// and qemu+tls:// hosts: who is asked, what
// is offered, what is remembered per host, and the routes that result (the real vncRouteForUri).
import * as assert from 'node:assert/strict';
import { chooseDisplayRoute, DisplayRouteDeclinedError, sshConnectionTo, type ClearTextChoice, type ClearTextQuestion, type DisplayRouteStore, type SavedConnection } from '../../../src/console/displayRoutePolicy';

class MemoryStore implements DisplayRouteStore {
  readonly values = new Map<string, ClearTextChoice>();
  get(host: string): ClearTextChoice | undefined {
    return this.values.get(host);
  }
  async set(host: string, choice: ClearTextChoice): Promise<void> {
    this.values.set(host, choice);
  }
}

function setup(saved: SavedConnection[], answers: (ClearTextChoice | undefined)[]) {
  const store = new MemoryStore();
  const asked: ClearTextQuestion[] = [];
  const deps = {
    saved: () => saved,
    store,
    ask: async (q: ClearTextQuestion) => {
      asked.push(q);
      return answers.shift();
    },
  };
  return { store, asked, deps };
}

describe('encrypted display routes for TCP/TLS hosts (unit)', () => {
  it('asks nothing for local, loopback and SSH connections', async () => {
    const { asked, deps } = setup([], []);
    assert.equal((await chooseDisplayRoute('qemu:///system', deps)).kind, 'local');
    assert.equal((await chooseDisplayRoute('qemu+tcp://127.0.0.1/system', deps)).kind, 'local');
    assert.equal((await chooseDisplayRoute('qemu+tls://localhost/system', deps)).kind, 'local');
    assert.equal((await chooseDisplayRoute('qemu+ssh://root@kvm1.example/system', deps)).kind, 'ssh');
    assert.deepEqual(asked, []);
  });

  it('asks nothing for a display that will be encrypted (SPICE TLS port, VNC VeNCrypt), and remembers nothing', async () => {
    const { asked, store, deps } = setup([{ name: 'kvm1 over SSH', uri: 'qemu+ssh://root@kvm1.example/system' }], []);
    assert.deepEqual(await chooseDisplayRoute('qemu+tls://kvm1.example/system', { ...deps, encrypted: true }), { kind: 'remote', host: 'kvm1.example' });
    assert.deepEqual(asked, []);
    assert.equal(store.get('kvm1.example'), undefined);
  });

  it('warns before a clear-text connection, remembers "unencrypted" for that host only', async () => {
    const { asked, store, deps } = setup([], ['clearText', 'clearText']);
    const route = await chooseDisplayRoute('qemu+tcp://kvm1.example/system', deps);
    assert.deepEqual(route, { kind: 'remote', host: 'kvm1.example' });
    assert.deepEqual(asked, [{ host: 'kvm1.example', sshConnectionName: undefined }]);
    assert.equal(store.get('kvm1.example'), 'clearText');
    // Same host (another URI to it): no question. Another host: asked.
    await chooseDisplayRoute('qemu+tls://kvm1.example/system', deps);
    assert.equal(asked.length, 1);
    await chooseDisplayRoute('qemu+tls://kvm2.example/system', deps);
    assert.deepEqual(asked[1], { host: 'kvm2.example', sshConnectionName: undefined });
  });

  it('offers the SSH connection to the same host as a tunnel, and remembers it', async () => {
    const saved = [
      { name: 'other', uri: 'qemu+ssh://root@kvm9.example/system' },
      { name: 'kvm1 over SSH', uri: 'qemu+ssh://admin@KVM1.example:2222/system' },
    ];
    const { asked, store, deps } = setup(saved, ['tunnel']);
    const route = await chooseDisplayRoute('qemu+tls://kvm1.example/system', deps);
    assert.equal(route.kind, 'ssh', 'the display goes through the SSH connection');
    assert.deepEqual(asked, [{ host: 'kvm1.example', sshConnectionName: 'kvm1 over SSH' }]);
    assert.equal(store.get('kvm1.example'), 'tunnel');
    assert.equal((await chooseDisplayRoute('qemu+tls://kvm1.example/system', deps)).kind, 'ssh');
    assert.equal(asked.length, 1);
  });

  it('does not connect when the user declines, and asks again next time', async () => {
    const { asked, store, deps } = setup([], [undefined, 'clearText']);
    await assert.rejects(chooseDisplayRoute('qemu+tcp://kvm1.example/system', deps), (e: unknown) => DisplayRouteDeclinedError.is(e) && /not be encrypted/.test(e.message));
    assert.equal(store.get('kvm1.example'), undefined);
    assert.equal((await chooseDisplayRoute('qemu+tcp://kvm1.example/system', deps)).kind, 'remote');
    assert.equal(asked.length, 2);
  });

  it('asks again when a remembered tunnel lost its SSH connection', async () => {
    const saved: SavedConnection[] = [{ name: 'ssh', uri: 'qemu+ssh://root@kvm1.example/system' }];
    const { asked, store, deps } = setup(saved, ['clearText']);
    await store.set('kvm1.example', 'tunnel');
    assert.equal((await chooseDisplayRoute('qemu+tcp://kvm1.example/system', deps)).kind, 'ssh');
    saved.pop();
    assert.equal((await chooseDisplayRoute('qemu+tcp://kvm1.example/system', deps)).kind, 'remote');
    assert.deepEqual(asked, [{ host: 'kvm1.example', sshConnectionName: undefined }]);
  });

  it('finds SSH connections by host, ignoring other transports and unparsable URIs', () => {
    const saved = [
      { name: 'tcp', uri: 'qemu+tcp://kvm1.example/system' },
      { name: 'bad', uri: 'not a uri' },
      { name: 'ssh6', uri: 'qemu+ssh://root@[fd00::1]/system' },
    ];
    assert.equal(sshConnectionTo('kvm1.example', saved), undefined);
    assert.equal(sshConnectionTo('fd00::1', saved)?.name, 'ssh6');
  });
});
