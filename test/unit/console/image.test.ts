import * as assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { crc32, encodePng, ImageFormatError, parsePpm, pngSize, screenshotToPng } from '../../../src/console/image';

function ppm(width: number, height: number, maxval: number, header = `P6\n${width} ${height}\n${maxval}\n`): Buffer {
  const bps = maxval < 256 ? 1 : 2;
  const raster = Buffer.alloc(width * height * 3 * bps);
  for (let i = 0; i < width * height * 3; i++) {
    if (bps === 1) raster[i] = (i * 7) % (maxval + 1);
    else raster.writeUInt16BE((i * 7) % (maxval + 1), i * 2);
  }
  return Buffer.concat([Buffer.from(header, 'latin1'), raster]);
}

/** Reads the chunks of a PNG, checking each CRC. */
function chunks(png: Buffer): { type: string; body: Buffer }[] {
  const out: { type: string; body: Buffer }[] = [];
  let off = 8;
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const body = png.subarray(off + 8, off + 8 + len);
    assert.equal(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), `CRC of ${type}`);
    out.push({ type, body });
    off += 12 + len;
  }
  return out;
}

describe('console screenshot images (unit)', () => {
  it('crc32 matches the reference value for "123456789"', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  it('parses a P6 header with comments and returns the raster', () => {
    const img = parsePpm(ppm(3, 2, 255, 'P6\n# made by qemu\n3 2\n255\n'));
    assert.equal(img.width, 3);
    assert.equal(img.height, 2);
    assert.equal(img.rgb.length, 18);
    assert.equal(img.rgb[5], 35);
  });

  it('scales 16-bit samples down to 8 bits', () => {
    const img = parsePpm(ppm(1, 1, 65535));
    assert.deepEqual([...img.rgb], [0, 0, 0]);
    const white = Buffer.concat([Buffer.from('P6 1 1 65535\n'), Buffer.from([0xff, 0xff, 0x80, 0x00, 0, 0])]);
    assert.deepEqual([...parsePpm(white).rgb], [255, 128, 0]);
  });

  it('encodes a PNG whose IHDR gives back the PPM size and whose pixels round-trip', () => {
    const src = ppm(720, 400, 255);
    const { png, width, height } = screenshotToPng('image/x-portable-pixmap', src);
    assert.deepEqual({ width, height }, { width: 720, height: 400 });
    assert.deepEqual(pngSize(png), { width: 720, height: 400 });
    const cs = chunks(png);
    assert.deepEqual(cs.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
    const ihdr = cs[0]!.body;
    assert.equal(ihdr[8], 8); // bit depth
    assert.equal(ihdr[9], 2); // RGB
    const raw = inflateSync(cs[1]!.body);
    assert.equal(raw.length, (720 * 3 + 1) * 400);
    // Row 1, first pixel: filter byte then the PPM's bytes at offset 720*3.
    const rgb = parsePpm(src).rgb;
    assert.equal(raw[720 * 3 + 1], 0);
    assert.deepEqual([...raw.subarray(720 * 3 + 2, 720 * 3 + 5)], [...rgb.subarray(720 * 3, 720 * 3 + 3)]);
  });

  it('passes a PNG screenshot through unchanged', () => {
    const png = encodePng({ width: 2, height: 3, rgb: Buffer.alloc(18, 9) });
    const out = screenshotToPng('image/png', png);
    assert.equal(out.png, png);
    assert.deepEqual([out.width, out.height], [2, 3]);
  });

  it('rejects truncated and foreign data with ImageFormatError', () => {
    assert.throws(() => parsePpm(Buffer.from('P5\n1 1\n255\n\0')), ImageFormatError);
    assert.throws(() => parsePpm(Buffer.from('P6\n4 4\n255\n\0\0\0')), /truncated/);
    assert.throws(() => parsePpm(Buffer.from('P6\n4')), ImageFormatError);
    assert.throws(() => screenshotToPng('image/jpeg', Buffer.from([0xff, 0xd8, 0xff])), /unsupported screenshot format image\/jpeg/);
    assert.throws(() => pngSize(Buffer.from('not a png at all, really not')), ImageFormatError);
  });
});
