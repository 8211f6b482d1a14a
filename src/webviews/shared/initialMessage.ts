// The element of a page that carries its embedded first message (see panelHost.ts pageHtml and
// app/hostChannel.ts takeInitial): shared by the host and the browser side, no `vscode`.

export const INITIAL_MESSAGE_ID = 'initial-message';

/**
 * JSON inside a <script type="application/json"> (a data block: CSP does not apply, nothing
 * runs): every `<` escaped, so no host text can close the element or open a comment, and the
 * two line separators JavaScript once treated as line ends.
 */
export function embeddedJson(m: unknown): string {
  return JSON.stringify(m).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
