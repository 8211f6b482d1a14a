// Screenshot images: libvirt's DOMAIN_SCREENSHOT stream returns whatever the hypervisor wrote
// (QEMU: a binary PPM "P6", or PNG when QEMU's screendump supports it). This file parses PPM
// headers, encodes RGB pixels as PNG with node:zlib, and reads a PNG's IHDR back.
// Formats: netpbm's ppm(5) description and the PNG specification (W3C, 2nd edition).

import { deflateSync } from 'node:zlib';

export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
  static is(e: unknown): e is ImageFormatError {
    return e instanceof ImageFormatError;
  }
}

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Tightly packed 8-bit RGB, width * height * 3 bytes. */
  readonly rgb: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

/** Parses a binary PPM (P6) with maxval <= 65535; 16-bit samples are reduced to 8 bits. */
export function parsePpm(data: Buffer): RgbImage {
  if (data.length < 2 || data[0] !== 0x50 /* P */ || data[1] !== 0x36 /* 6 */) {
    throw new ImageFormatError('not a binary PPM (P6) image');
  }
  let pos = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    while (pos < data.length && isSpace(data[pos]!)) pos++;
    if (pos < data.length && data[pos] === 0x23 /* # comment to end of line */) {
      while (pos < data.length && data[pos] !== 0x0a && data[pos] !== 0x0d) pos++;
      continue;
    }
    const start = pos;
    while (pos < data.length && data[pos]! >= 0x30 && data[pos]! <= 0x39) pos++;
    if (pos === start) throw new ImageFormatError('truncated or malformed PPM header');
    fields.push(Number(data.toString('latin1', start, pos)));
  }
  // Exactly one whitespace byte separates the header from the raster.
  if (pos >= data.length || !isSpace(data[pos]!)) throw new ImageFormatError('malformed PPM header');
  pos++;
  const [width, height, maxval] = fields as [number, number, number];
  if (width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new ImageFormatError(`unsupported PPM size ${width}x${height}`);
  }
  if (maxval < 1 || maxval > 65535) throw new ImageFormatError(`unsupported PPM maxval ${maxval}`);
  const samples = width * height * 3;
  const bytesPerSample = maxval < 256 ? 1 : 2;
  if (data.length - pos < samples * bytesPerSample) {
    throw new ImageFormatError(`PPM raster truncated: need ${samples * bytesPerSample} bytes, have ${data.length - pos}`);
  }
  let rgb: Buffer;
  if (bytesPerSample === 1 && maxval === 255) {
    rgb = Buffer.from(data.subarray(pos, pos + samples));
  } else {
    rgb = Buffer.alloc(samples);
    for (let i = 0; i < samples; i++) {
      const v = bytesPerSample === 1 ? data[pos + i]! : data.readUInt16BE(pos + 2 * i);
      rgb[i] = Math.round((v * 255) / maxval);
    }
  }
  return { width, height, rgb };
}

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Encodes 8-bit RGB pixels as a PNG (colour type 2, filter 0 on every row). */
export function encodePng(img: RgbImage): Buffer {
  const { width, height, rgb } = img;
  if (rgb.length !== width * height * 3) throw new ImageFormatError('RGB buffer size does not match width * height * 3');
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    rgb.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function isPng(data: Buffer): boolean {
  return data.length >= 8 && data.subarray(0, 8).equals(PNG_SIGNATURE);
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(data: Buffer): { width: number; height: number } {
  if (!isPng(data) || data.length < 24 || data.toString('latin1', 12, 16) !== 'IHDR') {
    throw new ImageFormatError('not a PNG image');
  }
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** Converts a hypervisor screenshot to PNG: PPM is encoded, PNG passes through. */
export function screenshotToPng(mime: string, data: Buffer): { png: Buffer; width: number; height: number } {
  if (isPng(data)) return { png: data, ...pngSize(data) };
  if (data.length >= 2 && data[0] === 0x50 && data[1] === 0x36) {
    const img = parsePpm(data);
    return { png: encodePng(img), width: img.width, height: img.height };
  }
  throw new ImageFormatError(`unsupported screenshot format ${mime || '(no MIME type)'}`);
}
