// A real QEMU whose displays require TLS, started by the test itself: VNC with VeNCrypt x509
// (what libvirt generates from qemu.conf vnc_tls = 1 + vnc_tls_x509_verify = 1: a
// tls-creds-x509 object with verify-peer and -vnc ...,tls-creds=) and SPICE with a TLS port on
// which every channel is secure (spice_tls = 1 + defaultMode='secure'). The server certificate is
// issued by the test PKI's CA (scripts/testenv.sh, $LIBVIRT_TEST_PKI), so the connection's PKI
// files verify it, and QEMU checks our client certificate from the same CA. The main test
// daemon's qemu.conf stays as it is (other suites use plain displays). Everything lives in
// /tmp/tld<pid>-…; leftovers of a killed run (the QEMU, its directory) are removed by the next.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { leftoverOfDeadRun } from '../../leftovers';
import type { PkiFiles } from '../../../src/libvirt/transport/pki';
import { freePort } from '../../freePort';

export const PREFIX = 'tld';
export const pkiDir = process.env['LIBVIRT_TEST_PKI'] ?? '/run/libvirt-vms-test/pki';

export const clientPki: PkiFiles = {
  caCert: path.join(pkiDir, 'cacert.pem'),
  clientCert: path.join(pkiDir, 'clientcert.pem'),
  clientKey: path.join(pkiDir, 'clientkey.pem'),
};

export interface TlsQemu {
  readonly dir: string;
  readonly vncPort: number;
  /** A second VNC display with VeNCrypt X509Vnc: TLS, then VNC authentication inside it. */
  readonly vncPasswordPort: number;
  readonly spicePort: number;
  readonly spiceTlsPort: number;
  /** A CA that did not issue QEMU's certificate, with the same client files. */
  readonly wrongCa: PkiFiles;
  stop(): Promise<void>;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}


/** Kills the QEMU of a dead run (from its pid file) and removes its directory. */
export function removeDeadRunLeftovers(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!leftoverOfDeadRun(name, PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'qemu.pid'), 'utf8').trim());
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(dir)) process.kill(pid, 'SIGKILL');
    } catch {
      /* no pid file, or the QEMU is gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A server certificate for 127.0.0.1 from the CA in `caDir` (cacert.pem, cakey.pem). */
function issueServerCert(dir: string, caCert: string, caKey: string): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/O=libvirt-vms test/CN=127.0.0.1', '-keyout', path.join(dir, 'server-key.pem'), '-out', path.join(dir, 'server.csr')]);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  openssl(['x509', '-req', '-in', path.join(dir, 'server.csr'), '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-CAserial', path.join(dir, 'ca.srl'), '-days', '2', '-extfile', path.join(dir, 'server.ext'), '-out', path.join(dir, 'server-cert.pem')]);
  fs.copyFileSync(caCert, path.join(dir, 'ca-cert.pem'));
}

export async function startTlsQemu(): Promise<TlsQemu> {
  removeDeadRunLeftovers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  issueServerCert(dir, clientPki.caCert, path.join(pkiDir, 'cakey.pem'));
  const wrong = path.join(dir, 'wrong-ca');
  fs.mkdirSync(wrong);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=some other CA', '-keyout', path.join(wrong, 'cakey.pem'), '-out', path.join(wrong, 'cacert.pem')]);
  // Free ports are only free when asked: an outgoing connection (another test's) may take one
  // before QEMU binds it. QEMU then says "Address already in use", and another set is tried.
  for (let attempt = 1; ; attempt++) {
    const ports = new Set<number>();
    while (ports.size < 4) ports.add(await freePort());
    const [vncPort, vncPasswordPort, spicePort, spiceTlsPort] = [...ports] as [number, number, number, number];
    if (Math.min(vncPort, vncPasswordPort) < 5900) throw new Error(`free port ${vncPort} is below 5900, QEMU's VNC display numbers start there`);
    const started = await spawnTlsQemu(dir, { vncPort, vncPasswordPort, spicePort, spiceTlsPort });
    if ('stop' in started) {
      return { dir, vncPort, vncPasswordPort, spicePort, spiceTlsPort, wrongCa: { ...clientPki, caCert: path.join(wrong, 'cacert.pem') }, stop: started.stop };
    }
    if (attempt >= 3 || !/Address already in use/.test(started.error)) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`QEMU with TLS displays did not start: ${started.error}`);
    }
  }
}

/** Starts QEMU with its displays on these ports: resolves once they answer, or with QEMU's error. */
async function spawnTlsQemu(
  dir: string,
  ports: { readonly vncPort: number; readonly vncPasswordPort: number; readonly spicePort: number; readonly spiceTlsPort: number },
): Promise<{ readonly stop: () => Promise<void> } | { readonly error: string }> {
  const { vncPort, vncPasswordPort, spicePort, spiceTlsPort } = ports;
  const qemu: ChildProcess = spawn(
    'qemu-system-x86_64',
    [
      '-name', path.basename(dir),
      '-machine', 'pc', '-accel', 'tcg', '-m', '64', '-nodefaults', '-display', 'none', '-device', 'qxl-vga',
      '-pidfile', path.join(dir, 'qemu.pid'),
      '-object', `tls-creds-x509,id=vnctls0,dir=${dir},endpoint=server,verify-peer=on`,
      '-vnc', `127.0.0.1:${vncPort - 5900},tls-creds=vnctls0`,
      '-object', 'secret,id=vncpw,data=tld-secret',
      '-vnc', `127.0.0.1:${vncPasswordPort - 5900},id=withpw,tls-creds=vnctls0,password-secret=vncpw`,
      '-spice', `port=${spicePort},tls-port=${spiceTlsPort},addr=127.0.0.1,disable-ticketing=on,x509-dir=${dir},tls-channel=default`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  qemu.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => qemu.once('exit', () => r()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await Promise.all([vncPort, vncPasswordPort, spiceTlsPort].map((p) => canConnect(p)));
    if (up.every(Boolean)) break;
    if (qemu.exitCode !== null || Date.now() > deadline) {
      qemu.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      return { error: stderr.trim() || 'timeout' };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    stop: async () => {
      if (qemu.exitCode === null) qemu.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (qemu.exitCode === null) qemu.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
