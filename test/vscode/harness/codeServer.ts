// Starts code-server (a real VS Code: workbench served to a browser, Node extension host on the
// server side) with all of its state in a temporary directory, never in $HOME.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../freePort';

/** The repository root: out/test/vscode/harness/ is four levels below it. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

export const codeServerEntry = path.join(
  repoRoot, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js',
);

export interface CodeServerOptions {
  /** Symlink the extension at repoRoot into the extensions directory before the first start. */
  installExtension: boolean;
  /** Port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Folder opened as the workspace; an empty temp folder when omitted. */
  workspace?: string;
  /** Keep code-server's output off the console (it always goes to the log file). */
  quiet?: boolean;
  /** Directory for state; a fresh temp directory when omitted. */
  stateDir?: string;
  /** Extra environment for code-server and the extension host. */
  env?: NodeJS.ProcessEnv;
  /** Leave workspace trust on, so the workspace opens untrusted (Restricted Mode). */
  workspaceTrust?: boolean;
  /** More user settings, present before VS Code starts (as a user's saved ones are). */
  userSettings?: Readonly<Record<string, unknown>>;
}

export interface CodeServer {
  readonly port: number;
  readonly url: string;
  readonly stateDir: string;
  readonly workspace: string;
  readonly logFile: string;
  /** XDG_* and TMPDIR pointing into stateDir, also for the browser. */
  readonly isolatedEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export class HarnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessError';
  }
}

interface ExtensionManifest {
  publisher: string;
  name: string;
  version: string;
}

function isManifest(value: unknown): value is ExtensionManifest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.publisher === 'string' && typeof v.name === 'string' && typeof v.version === 'string';
}

export function readManifest(root: string = repoRoot): ExtensionManifest {
  const parsed: unknown = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (!isManifest(parsed)) throw new HarnessError(`${root}/package.json lacks publisher/name/version`);
  return parsed;
}

export function extensionId(root: string = repoRoot): string {
  const m = readManifest(root);
  return `${m.publisher}.${m.name}`;
}


// Process groups of every code-server still running: killed when the driver exits, however it exits.
const runningGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pid: number): void {
  runningGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const g of runningGroups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** An awaited pause. Not unref'd: an unref'd timer being awaited lets Node exit mid-await. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

function healthz(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** The settings a test VS Code needs: no welcome page, no update checks, no telemetry, no AI walkthrough. */
export const testUserSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  // The `npm start` workspace lives inside this repository: no "open the parent repository?" prompt.
  'git.openRepositoryInParentFolders': 'never',
  // The Virtual Machines container has two views (the tree and Alerts): keep the tree's title
  // actions (New VM…, Filter…) on screen, not only while the pointer is over its header.
  'workbench.view.alwaysShowHeaderActions': true,
};

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  if (!fs.existsSync(codeServerEntry)) {
    throw new HarnessError(`code-server is not installed (${codeServerEntry}): run scripts/vscode-env.sh install`);
  }
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'libvirt-vms-vscode-'));
  const dirs = {
    userData: path.join(stateDir, 'user-data'),
    extensions: path.join(stateDir, 'extensions'),
    config: path.join(stateDir, 'xdg-config'),
    data: path.join(stateDir, 'xdg-data'),
    cache: path.join(stateDir, 'xdg-cache'),
    tmp: path.join(stateDir, 'tmp'),
    workspace: options.workspace ?? path.join(stateDir, 'workspace'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  const settings = options.workspaceTrust
    ? { ...testUserSettings, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' }
    : testUserSettings;
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...settings, ...options.userSettings }, null, 2));

  if (options.installExtension) {
    if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
      throw new HarnessError(`${repoRoot}/dist/extension.js is missing: run node esbuild.mjs first`);
    }
    const m = readManifest();
    const link = path.join(dirs.extensions, `${m.publisher}.${m.name}-${m.version}`);
    if (!fs.existsSync(link)) fs.symlinkSync(repoRoot, link, 'dir');
  }

  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const isolatedEnv: NodeJS.ProcessEnv = {
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
  };
  const logFile = path.join(stateDir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--extensions-dir', dirs.extensions,
    '--user-data-dir', dirs.userData,
    dirs.workspace,
  ];
  // Detached: its own process group, so stop() can take the extension host down with it.
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: stateDir,
    detached: true,
    stdio: ['ignore', options.quiet === false ? 'inherit' : logFd, options.quiet === false ? 'inherit' : logFd],
    env: { ...process.env, ...options.env, ...isolatedEnv, EXTENSIONS_GALLERY: '{}' },
  });
  fs.closeSync(logFd);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  if (child.pid !== undefined) trackGroup(child.pid);

  const stop = async (): Promise<void> => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    for (let i = 0; i < 50 && !exited; i++) await delay(100);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    runningGroups.delete(child.pid);
    if (ownsStateDir && !process.env.LIBVIRT_VMS_KEEP_STATE) {
      // Keep the server log next to the other test logs, then drop the temporary state.
      const logs = path.join(repoRoot, 'test-results', 'logs');
      try {
        fs.mkdirSync(logs, { recursive: true });
        fs.copyFileSync(logFile, path.join(logs, `code-server-${path.basename(stateDir)}.log`));
      } catch {
        // best effort
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new HarnessError(`code-server exited during start-up; see ${logFile}`);
    }
    if (await healthz(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new HarnessError(`code-server did not answer on ${url}/healthz within 60 s; see ${logFile}`);
    }
    await delay(250);
  }
  return { port, url, stateDir, workspace: dirs.workspace, logFile, isolatedEnv, stop };
}
