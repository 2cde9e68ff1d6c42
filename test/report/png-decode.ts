import { inflateSync } from 'node:zlib';

/** Decode an 8-bit RGB or RGBA, non-interlaced PNG (any of the five row filters): [width, height, rgb] (alpha dropped). */
export function decodePng(bytes: Uint8Array): [number, number, Uint8Array] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  let w = 0;
  let h = 0;
  let channels = 3;
  const idat: Uint8Array[] = [];
  while (o < bytes.length) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const data = bytes.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      w = v.getUint32(o + 8);
      h = v.getUint32(o + 12);
      channels = data[9] === 6 ? 4 : 3;
      if (data[8] !== 8 || (data[9] !== 2 && data[9] !== 6) || data[12] !== 0) throw new Error('decodePng: only 8-bit RGB/RGBA, no interlace');
    } else if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const c0 = channels;
  const full = new Uint8Array(w * h * c0);
  const stride = w * c0;
  const out = full;
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const r = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= c0 ? out[y * stride + x - c0]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= c0 && y > 0 ? out[(y - 1) * stride + x - c0]! : 0;
      const p = a + b - c;
      const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out[y * stride + x] = (r + [0, a, b, (a + b) >> 1, pr][f]!) & 255;
    }
  }
  if (c0 === 3) return [w, h, full];
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.set(full.subarray(i * 4, i * 4 + 3), i * 3);
  return [w, h, rgb];
}
