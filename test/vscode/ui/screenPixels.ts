// Reads the workbench's pixels as the user sees them: a page screenshot of a box, decoded by
// Chromium itself (createImageBitmap), so a test can check colours that no DOM property tells
// (what shows around a scaled console canvas, whether a chart's dot is drawn).
import type { Workbench } from '../harness/workbench';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export type Rgb = readonly [number, number, number];

/** The browser APIs used inside page.evaluate (the tests compile without the DOM library). */
interface BrowserGlobals {
  createImageBitmap(blob: Blob): Promise<{ width: number; height: number }>;
  OffscreenCanvas: new (w: number, h: number) => {
    getContext(type: '2d'): { drawImage(img: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
  };
}

/** The RGB values of every pixel in `box` (page coordinates, CSS pixels). */
export async function screenPixels(wb: Workbench, box: Box): Promise<Rgb[]> {
  const clip = { x: Math.round(box.x), y: Math.round(box.y), width: Math.max(1, Math.round(box.width)), height: Math.max(1, Math.round(box.height)) };
  const png = await wb.page.screenshot({ clip });
  const rgba = await wb.page.evaluate(async (b64: string) => {
    const g = globalThis as unknown as BrowserGlobals;
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await g.createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new g.OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) return [];
    ctx.drawImage(bitmap, 0, 0);
    return Array.from(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data);
  }, png.toString('base64'));
  const out: Rgb[] = [];
  for (let i = 0; i + 3 < rgba.length; i += 4) out.push([rgba[i]!, rgba[i + 1]!, rgba[i + 2]!]);
  return out;
}

/** A theme colour of the workbench (e.g. `--vscode-editor-background`) as RGB. */
export async function themeColour(wb: Workbench, variable: string): Promise<Rgb> {
  const value = await wb.page.evaluate((name: string) => {
    const g = globalThis as unknown as { document: { querySelector(s: string): unknown }; getComputedStyle(e: unknown): { getPropertyValue(n: string): string } };
    return g.getComputedStyle(g.document.querySelector('.monaco-workbench')).getPropertyValue(name).trim();
  }, variable);
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(value);
  if (!hex) throw new Error(`${variable} is not a #rrggbb colour: ${JSON.stringify(value)}`);
  const n = parseInt(hex[1]!, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function near(a: Rgb, b: Rgb, tolerance = 6): boolean {
  return Math.abs(a[0] - b[0]) <= tolerance && Math.abs(a[1] - b[1]) <= tolerance && Math.abs(a[2] - b[2]) <= tolerance;
}

/**
 * A strip of the console's screen area outside the drawn canvas (the letterbox of a fitted or
 * zoomed-out display): below or above the canvas when the tab is taller than the display, else
 * beside it. Undefined when the canvas fills the area.
 */
export function letterboxBox(screen: Box, canvas: Box): Box | undefined {
  const below = screen.y + screen.height - (canvas.y + canvas.height);
  const above = canvas.y - screen.y;
  const right = screen.x + screen.width - (canvas.x + canvas.width);
  const left = canvas.x - screen.x;
  const cx = canvas.x + canvas.width / 2;
  const cy = canvas.y + canvas.height / 2;
  if (below >= 12) return { x: cx - 20, y: canvas.y + canvas.height + below / 2 - 4, width: 40, height: 8 };
  if (above >= 12) return { x: cx - 20, y: screen.y + above / 2 - 4, width: 40, height: 8 };
  if (right >= 12) return { x: canvas.x + canvas.width + right / 2 - 4, y: cy - 20, width: 8, height: 40 };
  if (left >= 12) return { x: screen.x + left / 2 - 4, y: cy - 20, width: 8, height: 40 };
  return undefined;
}

/**
 * Checks that the console's letterbox shows the theme's editor background (not black, not a
 * colour of its own), and saves a screenshot named `shot`.
 */
export async function assertThemedLetterbox(wb: Workbench, canvasSelector: string, shot: string): Promise<void> {
  const screen = await wb.webview().locator('#screen').boundingBox();
  const canvas = await wb.webview().locator(canvasSelector).first().boundingBox();
  if (!screen || !canvas) throw new Error('the console screen or its canvas is not shown');
  await wb.screenshot(shot);
  const strip = letterboxBox(screen, canvas);
  if (!strip) throw new Error(`the display fills the tab: no letterbox to check (screen ${JSON.stringify(screen)}, canvas ${JSON.stringify(canvas)})`);
  const background = await themeColour(wb, '--vscode-editor-background');
  const pixels = await screenPixels(wb, strip);
  const off = pixels.filter((p) => !near(p, background));
  if (pixels.length === 0 || off.length > 0) {
    throw new Error(`the letterbox is not the editor background ${background.join(',')}: ${off.length} of ${pixels.length} pixels differ, e.g. ${off[0]?.join(',')} (see ${shot}.png)`);
  }
}

/**
 * From Fit: zooms the console out to 50 % (the display leaves the tab's right and bottom free),
 * checks that letterbox as assertThemedLetterbox does, and goes back to Fit.
 */
export async function assertZoomedOutLetterbox(wb: Workbench, canvasSelector: string, shot: string): Promise<void> {
  const view = wb.webview();
  const level = view.locator('#zoom-level');
  for (let i = 0; i < 16 && (await level.innerText()) !== '50%'; i++) await view.locator('#zoom-out').click();
  await view.locator('#zoom-level', { hasText: '50%' }).waitFor();
  await wb.page.waitForTimeout(300);
  // Centred in the tab, as noVNC places a VNC display and the SPICE viewer does too.
  const screen = (await view.locator('#screen').boundingBox())!;
  const canvas = (await view.locator(canvasSelector).first().boundingBox())!;
  const dx = canvas.x - screen.x - (screen.x + screen.width - (canvas.x + canvas.width));
  const dy = canvas.y - screen.y - (screen.y + screen.height - (canvas.y + canvas.height));
  if (Math.abs(dx) > 3 || Math.abs(dy) > 3) throw new Error(`the zoomed-out display is not centred: ${dx.toFixed(0)} px off horizontally, ${dy.toFixed(0)} px vertically`);
  await assertThemedLetterbox(wb, canvasSelector, shot);
  await view.locator('#scale', { hasText: 'Fit' }).click();
  await view.locator('#zoom-level', { hasText: 'Fit' }).waitFor();
}
