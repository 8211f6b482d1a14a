// A page's stylesheets, bundled into its script as text (esbuild.mjs) and adopted by the document
// as constructed stylesheets (not governed by CSP, like the ones Lit adopts): the page then loads
// one file. Each file a webview loads is a round trip through VS Code's webview service worker to
// the extension's host, and stylesheets linked in the page's <head> held the script back until
// they had all arrived. Call before the first element is drawn.

export function adoptStyles(...cssTexts: readonly string[]): void {
  const sheets = cssTexts.map((text) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    return sheet;
  });
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, ...sheets];
}
