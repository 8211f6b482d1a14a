// The plain-Node half of bench/sshConnect.ts, run as a child process (tsc output or bundled):
// `node sshConnectChild.js RUNS` opens RUNS fresh SSH connections to the test sshd and prints one
// JSON line with each one's steps and whether ssh2's native crypto helper could load.

import { performance } from 'node:perf_hooks';
import { Connection } from '../src/libvirt/connection';
import { sshSessionOptionsForUri } from '../src/libvirt/transport/open';
import { SshSessionPool } from '../src/libvirt/transport/sshSession';
import { parseUri } from '../src/libvirt/uri';

/** The pause between two timed connections (bench/sshConnectHost.ts makes the same). */
export const PAUSE_MS = 300;

/** One SSH connection's steps, in milliseconds. */
export interface SshConnectRun {
  /** TCP connect, key exchange, host key check, authentication. */
  readonly authMs: number;
  /** The exec channel running the remote proxy command and libvirt's open handshake. */
  readonly openMs: number;
  /** connectGetHostname's reply on the new connection. */
  readonly callMs: number;
  readonly totalMs: number;
}

/** The test sshd's qemu+ssh URI from scripts/testenv.sh's environment. */
export function testSshUri(): string {
  const e = process.env;
  const host = e['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1';
  const port = e['LIBVIRT_TEST_SSH_PORT'] ?? '2222';
  const user = e['LIBVIRT_TEST_SSH_USER'] ?? 'root';
  const key = e['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519';
  const knownHosts = e['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts';
  return `qemu+ssh://${user}@${host}:${port}/system?${new URLSearchParams({ keyfile: key, known_hosts: knownHosts }).toString()}`;
}

/** One fresh SSH connection (its own session pool), timed step by step. */
export async function timeSshConnect(uri: string): Promise<SshConnectRun> {
  const pool = new SshSessionPool();
  const t0 = performance.now();
  // The session options the transport derives from the URI; acquiring first splits the time.
  const session = await pool.acquire(sshSessionOptionsForUri(parseUri(uri)));
  const t1 = performance.now();
  const conn = await Connection.open(uri, { sshPool: pool });
  const t2 = performance.now();
  await conn.connectGetHostname();
  const t3 = performance.now();
  await conn.close();
  session.release();
  return { authMs: t1 - t0, openMs: t2 - t1, callMs: t3 - t2, totalMs: t3 - t0 };
}

function nativeHelperLoaded(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node');
    return true;
  } catch {
    return false;
  }
}

/** `runs` connections, one JSON line. */
async function child(runs: number): Promise<void> {
  const uri = testSshUri();
  const out: SshConnectRun[] = [];
  for (let i = 0; i < runs; i++) {
    // A pause between connections, as in the extension host half: sshd is still ending the
    // previous session (its helper process, PAM) for a while after the client closed it.
    if (i > 0) await new Promise((r) => setTimeout(r, PAUSE_MS));
    out.push(await timeSshConnect(uri));
  }
  process.stdout.write(`${JSON.stringify({ runs: out, nativeHelper: nativeHelperLoaded() })}\n`);
}

if (require.main === module) {
  child(Number(process.argv[2] ?? 5)).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
