// The one webview host every panel uses: it creates the page (strict CSP with a nonce, only our
// own dist/webviews folder readable; the page loads one file, its script), validates every incoming message with the
// panel's table before anyone sees it, and keeps the ready handshake: before the webview said
// `ready` nothing but `init` is posted (a panel sends its whole state on every `ready`, which also
// comes again when VS Code recreates a hidden webview).

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { embeddedJson, INITIAL_MESSAGE_ID } from './initialMessage';
import { WebviewMessageError } from './messageChecks';

/**
 * What a page loads, relative to the extension folder: its script alone. The app bundles its
 * stylesheets (media/*.css, adopted by shared/app/pageStyles.ts) and the codicon font
 * (shared/app/codiconStyles.ts): each file a webview loads is a round trip through VS Code's
 * webview service worker, and linked stylesheets held the script back until they had loaded.
 */
export interface PageAssets {
  /** The bundle built by esbuild.mjs from src/webviews/<name>/app/main.ts: dist/webviews/<name>.js. */
  readonly script: string;
  readonly title: string;
}

export interface PanelHostOptions<To, From> {
  readonly extensionUri: vscode.Uri;
  readonly assets: PageAssets;
  /** The panel's field-by-field check (its protocol.ts). */
  readonly parse: (m: unknown) => From;
  /** Acts on a checked message. */
  readonly handle: (m: From) => void | Promise<void>;
  readonly log: { warn(msg: string): void; error(msg: string): void };
  /** Names the panel in log lines. */
  readonly name: string;
  /**
   * A first message to embed in the page (its first state), so the page draws it when its script
   * starts instead of after a `ready` round trip through the workbench. The page is written once
   * the message is known, or after `waitMs` without it: VS Code readies the webview's frame and
   * service worker meanwhile, and only then loads the page.
   */
  readonly initial?: { readonly message: Promise<To | undefined>; readonly waitMs: number };
}

/**
 * Whether a form tab (VM details, Add Hardware) keeps its page while another tab is in front.
 * Without it VS Code drops the page of a hidden tab and loads it again when the tab comes back;
 * in VS Code in a browser (code-server, and any workbench serving every webview from one origin)
 * each such load first waits about one second for the webview's service worker: every webview
 * registers its own worker script (its id is in the URL) under the same scope, so the new
 * registration replaces the previous one, and Chromium delays the activation that follows by one
 * second (ServiceWorkerRegistration::ActivateWaitingVersion, content/browser/service_worker/
 * service_worker_registration.cc). Measured in code-server 4.100 with a one-line webview: every
 * webview after the session's first and every return to a hidden one waited 970-1000 ms for its
 * worker (the first: 5 ms), whatever its options; with this kept, returning to the tab loads
 * nothing. A kept page costs its memory while hidden (one form page, a few MB), which a handful of
 * open form tabs can afford; the consoles and dashboards keep VS Code's default.
 */
export const RETAIN_HIDDEN_PAGE = true;

/** The folder a webview may read: our bundles (the console also loads spice-html5's modules from it). */
export function resourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')];
}

/**
 * The page: one module script from our folder, nothing else. Styles are constructed stylesheets
 * the script adopts (its own and Lit's, which CSP does not govern); no inline style or script
 * runs, so `style-src` and `script-src` carry no 'unsafe-inline'.
 */
export function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, assets: PageAssets, initial?: unknown): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (...p: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    // The codicon font is a data: URI bundled into the script (shared/app/codiconStyles.ts).
    `font-src ${webview.cspSource} data:`,
  ].join('; ');
  // Only our own constants and URIs are interpolated; the scripts set all text with textContent.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${assets.title}</title>
</head>
<body>
<div id="root"></div>
${initial === undefined ? '' : `<script type="application/json" id="${INITIAL_MESSAGE_ID}">${embeddedJson(initial)}</script>\n`}<script type="module" nonce="${nonce}" src="${uri(...assets.script.split('/'))}"></script>
</body>
</html>`;
}

/** A webview panel speaking a typed protocol: `To` messages out, checked `From` messages in. */
export class PanelHost<To extends { readonly type: string }, From extends { readonly type: string }> {
  private ready = false;
  private readonly postListeners = new Set<(m: To) => void>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly opts: PanelHostOptions<To, From>,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: resourceRoots(opts.extensionUri) };
    const initial = opts.initial;
    if (!initial) panel.webview.html = pageHtml(panel.webview, opts.extensionUri, opts.assets);
    else {
      let written = false;
      const write = (m: To | undefined): void => {
        if (written || this.disposed) return;
        written = true;
        panel.webview.html = pageHtml(panel.webview, opts.extensionUri, opts.assets, m);
      };
      const timer = setTimeout(() => write(undefined), initial.waitMs);
      const settle = (m: To | undefined): void => {
        clearTimeout(timer);
        write(m);
      };
      initial.message.then(settle, () => settle(undefined));
    }
    this.disposables.push(
      panel.onDidDispose(() => (this.disposed = true)),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      // A hidden webview is torn down; it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible && !panel.options.retainContextWhenHidden) this.ready = false;
      }),
    );
  }

  /** Whether the webview has said `ready` (and has not been torn down since). */
  get isReady(): boolean {
    return this.ready;
  }

  /**
   * Checks a message from the webview and hands it to the panel's handler; a refused message is
   * logged and dropped, a failing handler is logged. Resolves once the handler finished (tests
   * drive panels through this, the same path a webview message takes).
   */
  async receive(m: unknown): Promise<boolean> {
    let message: From;
    try {
      message = this.opts.parse(m);
    } catch (e) {
      this.opts.log.warn(`${this.opts.name}: refused a message from the webview: ${WebviewMessageError.is(e) ? e.message : String(e)}`);
      return false;
    }
    if (message.type === 'ready') this.ready = true;
    try {
      await this.opts.handle(message);
    } catch (e) {
      this.opts.log.error(`${this.opts.name}: handling ${message.type} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return true;
  }

  /** Every message actually posted (tests watch the panel through this). */
  onDidPost(listener: (m: To) => void): vscode.Disposable {
    this.postListeners.add(listener);
    return new vscode.Disposable(() => this.postListeners.delete(listener));
  }

  /** Posts a message; before `ready` only `init` goes out (the rest is resent on `ready`). */
  post(m: To): boolean {
    if (!this.ready && m.type !== 'init') return false;
    for (const l of [...this.postListeners]) l(m);
    void this.panel.webview.postMessage(m);
    return true;
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.postListeners.clear();
  }
}
