// Remembered passwords inside a real VS Code extension host: Remove Connection deletes every
// secret kept for that connection (SSH password and passphrase, each VM's VNC password) from VS
// Code's real secret storage, and nothing of any other connection.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ConfirmRequest } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';

describe('Remembered secrets (extension host)', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  const added: string[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    for (const id of added) {
      if (api.connections.list().some((e) => e.config.id === id)) await api.connections.remove(id);
      await api.secrets.removeAll(id);
    }
  });

  const addUnreachable = async (name: string): Promise<string> => {
    // Port 1 on loopback refuses at once: the connection is saved but never connects.
    const config = await api.connections.add({ name, uri: 'qemu+tcp://127.0.0.1:1/system', autoconnect: false });
    added.push(config.id);
    return config.id;
  };

  it('Remove Connection deletes the SSH password, the passphrase and every VNC password of that connection only', async () => {
    const tag = crypto.randomBytes(3).toString('hex');
    const doomed = await addUnreachable(`secrets-doomed-${tag}`);
    const kept = await addUnreachable(`secrets-kept-${tag}`);
    const vmA = crypto.randomUUID();
    const vmB = crypto.randomUUID();
    const secretsOf = (id: string) => [
      api.secrets.ssh(id, 'password'),
      api.secrets.ssh(id, 'passphrase'),
      api.secrets.vncPassword(id, vmA),
      api.secrets.vncPassword(id, vmB),
    ];
    for (const id of [doomed, kept]) for (const [i, s] of secretsOf(id).entries()) await s.store(`pw-${id}-${i}`);
    for (const s of secretsOf(doomed)) assert.ok((await s.get()) !== undefined, 'stored before removal');

    const confirms: ConfirmRequest[] = [];
    api.prompts.setResponder({
      confirm: (req) => {
        confirms.push(req);
        return true;
      },
    });
    await vscode.commands.executeCommand('libvirtVms.connection.remove', { connectionId: doomed });

    assert.equal(confirms.length, 1, 'one confirmation');
    assert.match(confirms[0]!.message, new RegExp(`secrets-doomed-${tag}`));
    assert.match(confirms[0]!.detail ?? '', /console passwords/);
    assert.ok(!api.connections.list().some((e) => e.config.id === doomed), 'the connection is removed');
    for (const [i, s] of secretsOf(doomed).entries()) assert.equal(await s.get(), undefined, `secret ${i} of the removed connection is gone`);
    assert.deepEqual(api.secrets.recordedKeys(doomed), [], 'no key names left in the index');
    for (const [i, s] of secretsOf(kept).entries()) assert.equal(await s.get(), `pw-${kept}-${i}`, `secret ${i} of the other connection stays`);
  });

  it('Remove Connection answered with Cancel keeps the connection and its secrets', async () => {
    const id = await addUnreachable(`secrets-cancel-${crypto.randomBytes(3).toString('hex')}`);
    const vnc = api.secrets.vncPassword(id, crypto.randomUUID());
    await vnc.store('still here');
    api.prompts.setResponder({ confirm: () => false });
    await vscode.commands.executeCommand('libvirtVms.connection.remove', { connectionId: id });
    assert.ok(api.connections.list().some((e) => e.config.id === id), 'the connection stays');
    assert.equal(await vnc.get(), 'still here');
  });
});
