import * as assert from 'node:assert/strict';
import { RpcClient } from '../../../src/libvirt/rpc/client';
import { UnsupportedAuthError } from '../../../src/libvirt/rpc/errors';
import { openRemote, VIR_DRV_FEATURE_PROGRAM_KEEPALIVE } from '../../../src/libvirt/rpc/handshake';
import { decodeFromBuffer, encodeToBuffer } from '../../../src/libvirt/rpc/xdr';
import {
  RemoteAuthListRetCodec,
  RemoteAuthPolkitRetCodec,
  RemoteConnectOpenArgsCodec,
  RemoteConnectSupportsFeatureArgsCodec,
  RemoteConnectSupportsFeatureRetCodec,
} from '../../../src/libvirt/generated/remoteProtocol';
import type { Frame } from '../../../src/libvirt/rpc/frame';
import { FakeServer } from './fakeServer';

/**
 * Answers the handshake like libvirtd, offering the given auth types: until the client has
 * authenticated, any other procedure is refused ("authentication required", VIR_ERR_AUTH_FAILED 45).
 * Returns the procs called, a refused one as -proc.
 */
function autoAnswer(server: FakeServer, authTypes: number[]): number[] {
  const procs: number[] = [];
  let authenticated = authTypes.length === 0 || authTypes.includes(0);
  const write = server.write.bind(server);
  server.write = (chunk: Buffer): boolean => {
    const before = server.received.length;
    const r = write(chunk);
    for (const f of server.received.slice(before)) setImmediate(() => answer(f));
    return r;
  };
  const answer = (f: Frame): void => {
    if (!authenticated && f.proc !== 66 && f.proc !== 70) {
      procs.push(-f.proc);
      server.replyError(f, { code: 45, message: 'authentication required' });
      return;
    }
    procs.push(f.proc);
    if (f.proc === 66) server.reply(f, encodeToBuffer(RemoteAuthListRetCodec, { types: authTypes }));
    else if (f.proc === 70) {
      authenticated = true;
      server.reply(f, encodeToBuffer(RemoteAuthPolkitRetCodec, { complete: 1 }));
    }
    else if (f.proc === 60) server.reply(f, encodeToBuffer(RemoteConnectSupportsFeatureRetCodec, { supported: 1 }));
    else server.reply(f);
  };
  return procs;
}

describe('openRemote handshake (unit)', () => {
  it('AUTH_LIST, keepalive feature, CONNECT_OPEN with the name and read-only flag, sent together; CONNECT_CLOSE on close', async () => {
    const server = new FakeServer();
    const procs = autoAnswer(server, [0]);
    const client = new RpcClient(server, { keepaliveIntervalMs: 0 });
    const opened = openRemote(client, { name: 'qemu:///system', readOnly: true });
    // All three are on the wire before the first reply: one round trip.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(server.received.map((f) => f.proc), [66, 60, 1]);
    await opened;
    assert.deepEqual(procs, [66, 60, 1]);
    const feature = decodeFromBuffer(RemoteConnectSupportsFeatureArgsCodec, server.received[1]!.payload);
    assert.equal(feature.feature, VIR_DRV_FEATURE_PROGRAM_KEEPALIVE);
    assert.deepEqual(decodeFromBuffer(RemoteConnectOpenArgsCodec, server.received[2]!.payload), { name: 'qemu:///system', flags: 1 });
    await client.close();
    assert.deepEqual(procs, [66, 60, 1, 2]);
  });

  it('authenticates with polkit when the server asks for it', async () => {
    const server = new FakeServer();
    const procs = autoAnswer(server, [2]);
    const client = new RpcClient(server, { keepaliveIntervalMs: 0 });
    await openRemote(client, { name: 'qemu:///system' });
    // The early calls are refused before authentication, then sent again after it.
    assert.deepEqual(procs, [66, -60, -1, 70, 60, 1]);
    assert.equal(decodeFromBuffer(RemoteConnectOpenArgsCodec, server.received[5]!.payload).flags, 0);
  });

  it('refuses SASL-only servers with UnsupportedAuthError explaining the way out', async () => {
    const server = new FakeServer();
    const procs = autoAnswer(server, [1]);
    const client = new RpcClient(server, { keepaliveIntervalMs: 0 });
    const err = await openRemote(client, { name: 'qemu:///system' }).then(() => undefined, (e: unknown) => e);
    assert.ok(UnsupportedAuthError.is(err));
    assert.deepEqual(err.offered, [1]);
    assert.match(err.message, /SASL authentication is not supported.*none.*polkit.*SSH/);
    assert.deepEqual(procs, [66, -60, -1]);
  });
});
