// Write and read streams through the real daemon: upload into a volume of a transient dir pool,
// download it again, compare. Exercises packet splitting and backpressure on a real socket.

import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REMOTE_PROCEDURES as P } from '../../../src/libvirt/generated/remoteProtocol';
import type { RpcClient } from '../../../src/libvirt/rpc/client';
import { STREAM_PACKET_MAX } from '../../../src/libvirt/rpc/frame';
import { openClient, testEnv } from './testEnv';

describe('volume upload and download streams (integration)', function () {
  this.timeout(60_000);
  let client: RpcClient;
  let dir: string;
  const name = `lvtest-stream-${process.pid}-${Date.now()}`;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvtest-pool-'));
    fs.chmodSync(dir, 0o755);
    client = await openClient(`qemu:///system?socket=${encodeURIComponent(testEnv.socket)}`);
  });

  after(async () => {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads 1 MiB + 5 bytes in packets and downloads it identical', async () => {
    const xml = `<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`;
    const { pool } = await client.call(P.STORAGE_POOL_CREATE_XML, { xml, flags: 0 });
    try {
      const data = crypto.randomBytes(1024 * 1024 + 5);
      assert.ok(data.length > 4 * STREAM_PACKET_MAX);
      const volXml = `<volume><name>v.raw</name><capacity unit='bytes'>${data.length}</capacity><target><format type='raw'/></target></volume>`;
      const { vol } = await client.call(P.STORAGE_VOL_CREATE_XML, { pool, xml: volXml, flags: 0 });

      const up = await client.callWithStream(P.STORAGE_VOL_UPLOAD, { vol, offset: 0n, length: BigInt(data.length), flags: 0 });
      up.stream.end(data);
      await once(up.stream, 'finish');
      assert.ok(fs.readFileSync(path.join(dir, 'v.raw')).equals(data), 'the file on disk is what we uploaded');

      const down = await client.callWithStream(P.STORAGE_VOL_DOWNLOAD, { vol, offset: 0n, length: 0n, flags: 0 });
      const chunks: Buffer[] = [];
      down.stream.on('data', (c: Buffer) => chunks.push(c));
      await once(down.stream, 'end');
      down.stream.end();
      await once(down.stream, 'finish');
      assert.ok(Buffer.concat(chunks).equals(data), 'the download is byte-identical');
      await client.call(P.STORAGE_VOL_DELETE, { vol, flags: 0 });
    } finally {
      await client.call(P.STORAGE_POOL_DESTROY, { pool });
    }
  });
});
