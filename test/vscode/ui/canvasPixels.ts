// Reads a console canvas inside the webview frame: how much of the guest's picture is drawn.
import type { Workbench } from '../harness/workbench';

/** The canvas API used inside the webview (the tests compile without the DOM library). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(type: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** noVNC's canvas; spice-html5 draws its primary surface in `#screen .spice-area canvas`. */
export const VNC_CANVAS = '#screen canvas';
export const SPICE_CANVAS = '#screen .spice-area canvas';

/**
 * Fraction of sampled pixels (every `step`th) of the first canvas matching `selector` that are
 * not black; step 1 reads them all (a line of text on black).
 */
export async function litFraction(wb: Workbench, selector = VNC_CANVAS, step = 97): Promise<number> {
  const canvas = wb.webview().locator(selector).first();
  return canvas.evaluate((el, stride) => {
    const c = el as unknown as CanvasLike;
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    let n = 0;
    for (let i = 0; i < d.length; i += 4 * stride) {
      n++;
      if (d[i]! > 16 || d[i + 1]! > 16 || d[i + 2]! > 16) lit++;
    }
    return n === 0 ? 0 : lit / n;
  }, step);
}
