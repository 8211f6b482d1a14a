// Console relay benchmark: frames/s and bytes/s of full-frame Raw VNC updates read (a) directly
// from the VM's VNC socket and (b) through the relay the console webview uses (VncRelay ->
// batched frames -> a MessagePort hop, which serialises like postMessage -> FrameReceiver), in
// both payload encodings; plus the time from opening the relay to the first complete frame.
// And the same for SPICE (benchSpiceRelay below): a guest that redraws its whole screen without
// pause, its main and display channels read directly and through the SPICE path of the console
// tab (RelayStreams -> MessagePort -> StreamMux, one stream per channel).
// Needs a real libvirtd (LIBVIRT_TEST_URI, default qemu:///system); starts and destroys its
// own tiny TCG VMs.

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Connection } from '../src/libvirt/connection';
import type { DomainRef } from '../src/libvirt/refs';
import { parseDomainConsoles, type VncListen } from '../src/console/domainConsoles';
import { bytesToBase64, decodePayload, FrameReceiver, type RelayEncoding, type RelayFrame } from '../src/console/relayFraming';
import { openVncStream } from '../src/console/vncEndpoint';
import { VncRelay } from '../src/console/vncRelay';
import { RelayStreams } from '../src/console/relayStreams';
import type { FromWebview, ToWebview } from '../src/webviews/console/protocol';
import { StreamMux, type StreamEndpoint } from '../src/webviews/console/streamMux';
import { RfbClient, type BytePipe } from './consoleRfb';
import { SpiceBenchSession, type SpicePipe } from './consoleSpice';

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

// ---------------------------------------------------------------------------------------------
// SPICE. SPICE pushes: the server sends what changed on the guest's screen (QEMU samples the
// framebuffer every 30 ms), so the measure is the bytes per second a client receives while the
// guest redraws its whole screen all the time. The guest is a 512-byte boot sector (no OS):
// VGA mode 13h (320x200, 256 colours), then for ever fill the screen with xorshift16 noise.
// Image compression and video streaming are off in the <graphics>, so every update is a raw
// bitmap (noise would not compress anyway) and the bytes do not depend on the host's CPU for
// compression. The relay keeps up when its figure is the direct one: a slower reader would get
// fewer updates (the server drops superseded ones while its socket is full).

/**
 * The boot sector's code, assembled with GNU as (`.code16`) from:
 *   cld; xor ax,ax; mov ds,ax; mov ax,0x13; int 0x10        ; mode 13h
 *   mov ax,0xA000; mov es,ax; mov bx,0xACE1                   ; framebuffer, xorshift state
 * frame: xor di,di; mov cx,32000
 * pixel: mov ax,bx; shl ax,7; xor bx,ax; mov ax,bx; shr ax,9; xor bx,ax
 *        mov ax,bx; shl ax,8; xor bx,ax; mov ax,bx; stosw; loop pixel; jmp frame
 */
const NOISE_BOOT_CODE = 'fc31c08ed8b81300cd10b800a08ec0bbe1ac31ffb9007d89d8c1e00731c389d8c1e80931c389d8c1e00831c389d8abe2e6ebdf';

/** The display surface of mode 13h as QEMU shows it (320x200 doubled). */
const NOISE_SCREEN = { width: 640, height: 400 };

/** A 1 MiB raw disk whose MBR runs NOISE_BOOT_CODE. */
export function noiseBootDisk(): Buffer {
  const disk = Buffer.alloc(1024 * 1024);
  Buffer.from(NOISE_BOOT_CODE, 'hex').copy(disk, 0);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  return disk;
}

export function spiceBenchVmXml(name: string, diskPath: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${diskPath}'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <graphics type='spice' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
      <image compression='off'/>
      <streaming mode='off'/>
    </graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

export interface SpiceBenchRow {
  readonly path: 'direct TCP' | 'relay (binary)' | 'relay (base64)';
  readonly seconds: number;
  /** Drawing messages of the display channel per second (each is one changed screen area). */
  readonly drawsPerSecond: number;
  readonly megabytesPerSecond: number;
  /** From opening the main channel to the first drawing message on the display channel. */
  readonly firstDrawMs: number;
}

export interface SpiceBenchResult {
  readonly width: number;
  readonly height: number;
  /** Turns taken by the direct and the binary relay path. */
  readonly rounds: number;
  readonly rows: readonly SpiceBenchRow[];
  /** relay (binary) MB/s over direct MB/s, totals over the rounds: the console tab's path. */
  readonly ratio: number;
}

function socketPipe(sock: net.Socket): SpicePipe {
  return { pipe: directPipe(sock), close: () => sock.destroy() };
}

/**
 * The console tab's SPICE path in one process: the host half (RelayStreams, as GraphicalSession
 * runs it) posts to a MessagePort, the webview half (StreamMux, as the console app runs it)
 * answers over a second one; each SPICE channel the client opens is a stream.
 */
function spiceRelay(listen: VncListen, encoding: RelayEncoding): { open(): Promise<SpicePipe>; close(): void } {
  const down = new MessageChannel(); // host -> webview
  const up = new MessageChannel(); // webview -> host
  const streams = new RelayStreams(1, () => openVncStream(listen, { kind: 'local' }), (m) => down.port1.postMessage(m), {
    batch: { maxBatchBytes: 256 * 1024, encoding },
  });
  const mux = new StreamMux<StreamEndpoint>(1, (m) => up.port2.postMessage(m));
  down.port2.on('message', (m: ToWebview) => void mux.accept(m));
  up.port1.on('message', (m: FromWebview) => {
    switch (m.type) {
      case 'streamConnect':
        streams.connect(m.stream).catch(() => undefined); // reported to the mux as streamClosed
        break;
      case 'streamSend':
        streams.write(m.stream, decodePayload(m.data));
        break;
      case 'streamClose':
        streams.closeStream(m.stream);
        break;
      default:
        break;
    }
  });
  return {
    open: () =>
      new Promise<SpicePipe>((resolve, reject) => {
        let listener: ((b: Uint8Array) => void) | undefined;
        mux.open((port) => ({
          hostOpened: () => resolve({ pipe: { write: (b) => port.send(b), onData: (l) => (listener = l) }, close: () => port.close() }),
          hostData: (b) => listener?.(b),
          hostClosed: (reason) => reject(new Error(reason)),
        }));
      }),
    close: () => {
      mux.close();
      streams.close();
      for (const p of [down.port1, down.port2, up.port1, up.port2]) p.close();
    },
  };
}

async function measureSpice(
  path: SpiceBenchRow['path'],
  opener: () => { open(): Promise<SpicePipe>; close(): void },
  seconds: number,
): Promise<SpiceBenchRow> {
  const t0 = performance.now();
  const { open, close } = opener();
  let session: SpiceBenchSession | undefined;
  try {
    session = await SpiceBenchSession.open(open);
    await withTimeout(session.firstDraw, 30_000, `${path}: no drawing on the SPICE display channel within 30 s`);
    const firstDrawMs = performance.now() - t0;
    // Under load SeaBIOS may still show its text screen (720x400): count only once the boot
    // sector's graphics mode is up (mode 13h, which QEMU shows at 640x400).
    const s = session;
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => (s.surface?.width === NOISE_SCREEN.width && s.surface.height === NOISE_SCREEN.height ? resolve() : void setTimeout(check, 100));
        check();
      }),
      120_000,
      `${path}: the guest did not reach its noise screen within 120 s (surface ${JSON.stringify(s.surface)})`,
    );
    const start = performance.now();
    const bytesAtStart = session.display.bytesReceived;
    const drawsAtStart = session.drawMessages;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - start) / 1000;
    return {
      path,
      seconds: elapsed,
      drawsPerSecond: (session.drawMessages - drawsAtStart) / elapsed,
      megabytesPerSecond: (session.display.bytesReceived - bytesAtStart) / elapsed / 1e6,
      firstDrawMs,
    };
  } finally {
    session?.close();
    close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Several runs of one path as one row: totals over their time; first drawing: the median. */
function combine(path: SpiceBenchRow['path'], runs: readonly SpiceBenchRow[]): SpiceBenchRow {
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const firsts = runs.map((r) => r.firstDrawMs).sort((a, b) => a - b);
  return {
    path,
    seconds,
    drawsPerSecond: runs.reduce((n, r) => n + r.drawsPerSecond * r.seconds, 0) / seconds,
    megabytesPerSecond: runs.reduce((n, r) => n + r.megabytesPerSecond * r.seconds, 0) / seconds,
    firstDrawMs: firsts[Math.floor(firsts.length / 2)]!,
  };
}

export async function benchSpiceRelay(opts: { uri?: string; secondsPerPath?: number; rounds?: number } = {}): Promise<SpiceBenchResult> {
  const uri = opts.uri ?? process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
  const seconds = opts.secondsPerPath ?? 2;
  const rounds = opts.rounds ?? 3;
  const conn = await Connection.open(uri);
  // QEMU runs as another user: the folder must be traversable and the image readable.
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-spice-'));
  let dom: DomainRef | undefined;
  try {
    chmodSync(dir, 0o755);
    const diskPath = path.join(dir, 'noise.img');
    writeFileSync(diskPath, noiseBootDisk(), { mode: 0o644 });
    dom = await conn.domainCreateXml(spiceBenchVmXml(`bench-spice-${randomBytes(4).toString('hex')}`, diskPath));
    const listen = parseDomainConsoles(await conn.domainGetXmlDesc(dom)).spice[0]?.listen;
    if (!listen || listen.kind !== 'address') throw new Error('the benchmark VM has no SPICE address');
    const direct = (): { open(): Promise<SpicePipe>; close(): void } => ({
      open: async () => socketPipe((await openVncStream(listen, { kind: 'local' })) as net.Socket),
      close: () => undefined,
    });
    // SPICE pushes what QEMU produces, and QEMU's share of a busy machine drifts: the paths take
    // turns (direct, binary relay, direct, binary relay...) so that drift hits both alike, and
    // the figures are the totals over the rounds. base64 (not what the tab uses) runs once.
    const runs: SpiceBenchRow[] = [];
    for (let round = 0; round < rounds; round++) {
      runs.push(await measureSpice('direct TCP', direct, seconds));
      runs.push(await measureSpice('relay (binary)', () => spiceRelay(listen, 'binary'), seconds));
    }
    runs.push(await measureSpice('relay (base64)', () => spiceRelay(listen, 'base64'), seconds));
    const rows = (['direct TCP', 'relay (binary)', 'relay (base64)'] as const).map((p) => combine(p, runs.filter((r) => r.path === p)));
    return { width: NOISE_SCREEN.width, height: NOISE_SCREEN.height, rounds, rows, ratio: rows[1]!.megabytesPerSecond / rows[0]!.megabytesPerSecond };
  } finally {
    if (dom) await conn.domainDestroy(dom).catch(() => undefined);
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSpiceBench(r: SpiceBenchResult): string {
  const lines = [`SPICE relay, ${r.width}x${r.height} guest redrawing its whole screen (raw bitmaps, main + display channels), ${r.rounds} turns each`];
  lines.push('path            draws/s   MB/s     first draw (ms, median)');
  for (const row of r.rows) {
    lines.push(`${row.path.padEnd(15)} ${row.drawsPerSecond.toFixed(1).padStart(8)} ${row.megabytesPerSecond.toFixed(2).padStart(7)} ${row.firstDrawMs.toFixed(0).padStart(12)}`);
  }
  lines.push(`relay (binary) / direct: ${r.ratio.toFixed(2)}x (issue #15 asks >= 0.9x)`);
  return lines.join('\n');
}
