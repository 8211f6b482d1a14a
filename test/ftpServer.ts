// An anonymous, read-only FTP server on 127.0.0.1 for the tests of ftp:// install trees: Debian's
// vsftpd (installed by scripts/testenv.sh install), started with a configuration of its own on a
// free port, serving a directory of this test's, in the foreground, and stopped by close().

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './freePort';

export const VSFTPD = '/usr/sbin/vsftpd';

export interface FtpServer {
  /** ftp://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  /** The directory served as the FTP root (root-owned, world-readable). */
  readonly root: string;
  close(): Promise<void>;
}


/** Resolves once the server greets (220) on `port`; rejects after `timeoutMs`. */
async function greeting(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(2000, () => s.destroy());
      s.once('data', (b) => {
        s.destroy();
        resolve(b.toString('latin1').startsWith('220'));
      });
      s.once('error', () => resolve(false));
      s.once('close', () => resolve(false));
    });
    if (ok) return;
    const why = exited();
    if (why !== undefined) throw new Error(`vsftpd exited: ${why}`);
    if (Date.now() > until) throw new Error(`vsftpd did not greet on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts vsftpd serving `files` (path in the tree → local file to copy, or contents). The tree is
 * copied into a directory of its own: vsftpd serves anonymous users from a chroot, which no
 * symbolic link leaves.
 */
export async function startFtpServer(files: ReadonlyMap<string, string | Buffer>): Promise<FtpServer> {
  if (!fs.existsSync(VSFTPD)) throw new Error(`${VSFTPD} is missing: run scripts/testenv.sh install (package vsftpd)`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-'));
  const root = path.join(base, 'root');
  const empty = path.join(base, 'empty');
  fs.mkdirSync(empty);
  for (const [p, content] of files) {
    const target = path.join(root, p);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === 'string' && content.startsWith('/') && fs.existsSync(content)) fs.copyFileSync(content, target);
    else fs.writeFileSync(target, content);
  }
  fs.mkdirSync(root, { recursive: true });
  for (const d of [base, root, empty]) fs.chmodSync(d, 0o755);
  for (const f of fs.readdirSync(root, { recursive: true, encoding: 'utf8' })) fs.chmodSync(path.join(root, f), fs.statSync(path.join(root, f)).isDirectory() ? 0o755 : 0o644);
  const port = await freePort();
  const conf = path.join(base, 'vsftpd.conf');
  fs.writeFileSync(
    conf,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      'no_anon_password=YES',
      `anon_root=${root}`,
      'local_enable=NO',
      'write_enable=NO',
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      `secure_chroot_dir=${empty}`,
      'xferlog_enable=NO',
      // Containers and older kernels refuse some of its seccomp filter's system calls.
      'seccomp_sandbox=NO',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(VSFTPD, [conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exit: string | undefined;
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  child.on('exit', (code, signal) => (exit = `code ${code ?? '-'} signal ${signal ?? '-'} ${stderr.trim()}`));
  try {
    await greeting(port, 15_000, () => exit);
  } catch (e) {
    child.kill('SIGKILL');
    fs.rmSync(base, { recursive: true, force: true });
    throw e;
  }
  return {
    url: `ftp://127.0.0.1:${port}`,
    root,
    close: async () => {
      if (exit === undefined) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (exit === undefined) child.kill('SIGKILL');
      }
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
