// When the page's script started, in ms since the webview document began loading (its
// performance time origin). Imported first by a page's main.ts, so it runs before the rest of the
// bundle is evaluated; the page reports it with its first drawn form (the details benchmark splits
// the opening time with it).

export const scriptStartMs = performance.now();
