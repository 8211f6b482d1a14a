// Console relay benchmark: frames/s and bytes/s of full-frame Raw VNC updates read (a) directly
// from the VM's VNC socket and (b) through the relay the console webview uses (VncRelay ->
// batched frames -> a MessagePort hop, which serialises like postMessage -> FrameReceiver), in
// both payload encodings; plus the time from opening the relay to the first complete frame.
// Needs a real libvirtd (LIBVIRT_TEST_URI, default qemu:///system); starts and destroys its
// own tiny TCG VM.

import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { Connection } from '../src/libvirt/connection';
import type { DomainRef } from '../src/libvirt/refs';
import { parseDomainConsoles, type VncListen } from '../src/console/domainConsoles';
import { bytesToBase64, decodePayload, FrameReceiver, type RelayEncoding, type RelayFrame } from '../src/console/relayFraming';
import { openVncStream } from '../src/console/vncEndpoint';
import { VncRelay } from '../src/console/vncRelay';
import { RfbClient, type BytePipe } from './consoleRfb';

export interface ConsoleBenchRow {
  readonly path: 'direct TCP' | 'relay (binary)' | 'relay (base64)';
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerSecond: number;
  readonly megabytesPerSecond: number;
  /** From opening the connection to the first complete full frame. */
  readonly firstFrameMs: number;
}

export interface ConsoleBenchResult {
  readonly width: number;
  readonly height: number;
  readonly rows: readonly ConsoleBenchRow[];
}

export function consoleBenchVmXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><bios useserial='yes'/></os>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

function directPipe(sock: net.Socket): BytePipe {
  return {
    write: (b) => void sock.write(b),
    onData: (l) => sock.on('data', (d: Buffer) => l(d)),
  };
}

/** The relay as the webview sees it: frames cross a MessagePort (structured clone, async hop). */
async function relayPipe(listen: VncListen, encoding: RelayEncoding): Promise<{ pipe: BytePipe; close(): void }> {
  const { port1, port2 } = new MessageChannel();
  const rx = new FrameReceiver();
  let listener: ((b: Uint8Array) => void) | undefined;
  port2.on('message', (f: RelayFrame) => listener?.(rx.accept(f)));
  const relay = await VncRelay.start(() => openVncStream(listen, { kind: 'local' }), (f) => port1.postMessage(f), {
    batch: { maxBatchBytes: 256 * 1024, encoding },
  });
  return {
    pipe: {
      // The webview sends its (small) messages as base64 text.
      write: (b) => relay.write(decodePayload(bytesToBase64(b))),
      onData: (l) => (listener = l),
    },
    close: () => {
      relay.close();
      port1.close();
      port2.close();
    },
  };
}

async function measure(path: ConsoleBenchRow['path'], open: () => Promise<{ pipe: BytePipe; close(): void }>, seconds: number): Promise<ConsoleBenchRow> {
  const t0 = performance.now();
  const { pipe, close } = await open();
  try {
    const client = new RfbClient(pipe);
    const init = await client.handshake();
    await client.fullFrame(init);
    const firstFrameMs = performance.now() - t0;
    const start = performance.now();
    const bytesAtStart = client.bytesReceived;
    let frames = 0;
    while (performance.now() - start < seconds * 1000) {
      await client.fullFrame(init);
      frames++;
    }
    const elapsed = (performance.now() - start) / 1000;
    return {
      path,
      frames,
      seconds: elapsed,
      framesPerSecond: frames / elapsed,
      megabytesPerSecond: (client.bytesReceived - bytesAtStart) / elapsed / 1e6,
      firstFrameMs,
    };
  } finally {
    close();
  }
}

export async function benchConsoleRelay(opts: { uri?: string; secondsPerPath?: number } = {}): Promise<ConsoleBenchResult> {
  const uri = opts.uri ?? process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
  const seconds = opts.secondsPerPath ?? 3;
  const conn = await Connection.open(uri);
  let dom: DomainRef | undefined;
  try {
    dom = await conn.domainCreateXml(consoleBenchVmXml(`bench-console-${randomBytes(4).toString('hex')}`));
    const listen = parseDomainConsoles(await conn.domainGetXmlDesc(dom)).vnc[0]?.listen;
    if (!listen || listen.kind !== 'address') throw new Error('the benchmark VM has no VNC address');
    // Let SeaBIOS draw something first.
    await new Promise((r) => setTimeout(r, 1500));
    const rows: ConsoleBenchRow[] = [];
    rows.push(
      await measure(
        'direct TCP',
        async () => {
          const sock = (await openVncStream(listen, { kind: 'local' })) as net.Socket;
          return { pipe: directPipe(sock), close: () => sock.destroy() };
        },
        seconds,
      ),
    );
    rows.push(await measure('relay (binary)', () => relayPipe(listen, 'binary'), seconds));
    rows.push(await measure('relay (base64)', () => relayPipe(listen, 'base64'), seconds));
    const probe = new RfbClient(directPipe((await openVncStream(listen, { kind: 'local' })) as net.Socket));
    const init = await probe.handshake();
    return { width: init.width, height: init.height, rows };
  } finally {
    if (dom) await conn.domainDestroy(dom).catch(() => undefined);
    await conn.close();
  }
}

export function formatConsoleBench(r: ConsoleBenchResult): string {
  const lines = [`console relay, ${r.width}x${r.height} full-frame Raw updates`];
  lines.push('path            frames/s   MB/s     first frame (ms)');
  for (const row of r.rows) {
    lines.push(`${row.path.padEnd(15)} ${row.framesPerSecond.toFixed(1).padStart(8)} ${row.megabytesPerSecond.toFixed(1).padStart(7)} ${row.firstFrameMs.toFixed(0).padStart(12)}`);
  }
  return lines.join('\n');
}
