// When the page's script started, in ms since the webview document began loading (its
// performance time origin). Imported first by a page's main.ts, so it runs before the rest of the
// bundle is evaluated; the page reports it with its first drawn form (the details benchmark splits
// the opening time with it), together with when the script's own fetch began and ended (its
// resource timing entry: the request goes through VS Code's webview service worker).

export const scriptStartMs = performance.now();

const own = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((e) => /\/dist\/webviews\/[^/]+\.js(\?|$)/.test(e.name));
/** The script's fetch began (ms since the document began loading); undefined where not recorded. */
export const scriptFetchStartMs: number | undefined = own?.startTime;
/** The script's last byte arrived. */
export const scriptFetchEndMs: number | undefined = own?.responseEnd;

/**
 * VS Code's webview loads an empty page first and writes ours into it once that page fired
 * DOMContentLoaded (its pre/index.html): when that was, for telling VS Code's share of the
 * opening time from ours.
 */
const frame = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
export const frameLoadedMs: number | undefined = frame?.domContentLoadedEventEnd || undefined;
