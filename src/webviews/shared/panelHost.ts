// The one webview host every panel uses: it creates the page (strict CSP with a nonce, only our
// own dist/webviews and media folders readable), validates every incoming message with the
// panel's table before anyone sees it, and keeps the ready handshake: before the webview said
// `ready` nothing but `init` is posted (a panel sends its whole state on every `ready`, which also
// comes again when VS Code recreates a hidden webview).

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { WebviewMessageError } from './messageChecks';

/** What a page loads, relative to the extension folder. */
export interface PageAssets {
  /** The bundle built by esbuild.mjs from src/webviews/<name>/app/main.ts: dist/webviews/<name>.js. */
  readonly script: string;
  /** Stylesheets under media/. */
  readonly styles: readonly string[];
  /** Load the codicon font (dist/webviews/codicons), for <vscode-icon> and codicon classes. */
  readonly codicons?: boolean;
  readonly title: string;
}

export interface PanelHostOptions<From> {
  readonly extensionUri: vscode.Uri;
  readonly assets: PageAssets;
  /** The panel's field-by-field check (its protocol.ts). */
  readonly parse: (m: unknown) => From;
  /** Acts on a checked message. */
  readonly handle: (m: From) => void | Promise<void>;
  readonly log: { warn(msg: string): void; error(msg: string): void };
  /** Names the panel in log lines. */
  readonly name: string;
}

/** The folders a webview may read: our bundles and our stylesheets/icons. */
export function resourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/**
 * The page: a module script and stylesheets from our folders, nothing else. Styles come from files
 * (and the constructable stylesheets Lit adopts, which CSP does not govern); no inline style or
 * script runs, so `style-src` and `script-src` carry no 'unsafe-inline'.
 */
export function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, assets: PageAssets): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (...p: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    // The codicon font is embedded in its stylesheet (see esbuild.mjs).
    `font-src ${webview.cspSource} data:`,
  ].join('; ');
  const links = [
    // <vscode-icon> finds the codicon stylesheet by this id and links it again inside its shadow root.
    ...(assets.codicons ? [`<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${uri('dist', 'webviews', 'codicons', 'codicon.css')}">`] : []),
    ...assets.styles.map((s) => `<link rel="stylesheet" href="${uri(...s.split('/'))}">`),
  ];
  // Only our own constants and URIs are interpolated; the scripts set all text with textContent.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${links.join('\n')}
<title>${assets.title}</title>
</head>
<body>
<div id="root"></div>
<script type="module" nonce="${nonce}" src="${uri(...assets.script.split('/'))}"></script>
</body>
</html>`;
}

/** A webview panel speaking a typed protocol: `To` messages out, checked `From` messages in. */
export class PanelHost<To extends { readonly type: string }, From extends { readonly type: string }> {
  private ready = false;
  private readonly postListeners = new Set<(m: To) => void>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly opts: PanelHostOptions<From>,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: resourceRoots(opts.extensionUri) };
    panel.webview.html = pageHtml(panel.webview, opts.extensionUri, opts.assets);
    this.disposables.push(
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
    for (const d of this.disposables.splice(0)) d.dispose();
    this.postListeners.clear();
  }
}
