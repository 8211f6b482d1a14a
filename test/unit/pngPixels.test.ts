import * as assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { crc32, encodePng } from '../../src/console/image';
import { screenshotPixels } from '../pngPixels';

/** A PNG of `rgb` (width × height, `channels` 3 or 4) whose row y uses filter `y % 5`, filtered as the specification says. */
function filteredPng(width: number, height: number, channels: 3 | 4, px: Buffer): Buffer {
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const f = y % 5;
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const v = px[y * stride + x]!;
      const a = x >= channels ? px[y * stride + x - channels]! : 0;
      const b = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const c = y > 0 && x >= channels ? px[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f]!;
      raw[y * (stride + 1) + 1 + x] = (v - pred) & 0xff;
    }
  }
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 3 ? 2 : 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('screenshotPixels (test helper): the pixels of a PPM or PNG screendump', () => {
  const width = 7;
  const height = 10;
  const rgb = Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + (i >> 3) * 11) & 0xff));

  it('reads every row filter of an RGB PNG back to the same pixels', () => {
    const img = screenshotPixels(filteredPng(width, height, 3, rgb));
    assert.deepEqual([img.width, img.height], [width, height]);
    assert.ok(img.rgb.equals(rgb));
  });

  it('drops the alpha of an RGBA PNG', () => {
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = (i * 13) & 0xff;
    }
    assert.ok(screenshotPixels(filteredPng(width, height, 4, rgba)).rgb.equals(rgb));
  });

  it("reads the product's own PNG and a PPM, and refuses other data", () => {
    assert.ok(screenshotPixels(encodePng({ width, height, rgb })).rgb.equals(rgb));
    assert.ok(screenshotPixels(Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), rgb])).rgb.equals(rgb));
    assert.throws(() => screenshotPixels(Buffer.from('GIF89a......')), /neither PPM nor PNG/);
  });
});
