/**
 * Snappy block format (https://github.com/google/snappy/blob/main/format_description.txt), which
 * Prometheus remote write uses for its bodies (`Content-Encoding: snappy`, the block format, not the
 * framing format). Hand-written to need no native dependency: a greedy compressor with a hash table of
 * 4-byte sequences, and a checked decompressor.
 */

const MAX_OFFSET = 65_535;
const MIN_MATCH = 4;
const HASH_BITS = 14;

function pushVarint(out: number[], n: number): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

function emitLiteral(out: number[], src: Uint8Array, start: number, end: number): void {
  const n = end - start - 1;
  if (n < 0) return;
  if (n < 60) out.push(n << 2);
  else if (n < 0x100) out.push(60 << 2, n);
  else if (n < 0x10000) out.push(61 << 2, n & 0xff, n >>> 8);
  else if (n < 0x1000000) out.push(62 << 2, n & 0xff, (n >>> 8) & 0xff, n >>> 16);
  else out.push(63 << 2, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  for (let i = start; i < end; i++) out.push(src[i] ?? 0);
}

function emitCopy(out: number[], offset: number, length: number): void {
  let left = length;
  // Copies longer than 64 are split; keep the last piece at least 4 long so it can use copy-1 rules.
  while (left >= 68) {
    out.push((63 << 2) | 2, offset & 0xff, offset >>> 8);
    left -= 64;
  }
  if (left > 64) {
    out.push((59 << 2) | 2, offset & 0xff, offset >>> 8);
    left -= 60;
  }
  if (left >= 4 && left <= 11 && offset < 2048) out.push(((offset >>> 8) << 5) | ((left - 4) << 2) | 1, offset & 0xff);
  else out.push(((left - 1) << 2) | 2, offset & 0xff, offset >>> 8);
}

function load32(src: Uint8Array, i: number): number {
  return ((src[i] ?? 0) | ((src[i + 1] ?? 0) << 8) | ((src[i + 2] ?? 0) << 16) | ((src[i + 3] ?? 0) << 24)) >>> 0;
}

/** Compresses `src` into one snappy block. */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  pushVarint(out, src.length);
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let literalStart = 0;
  let i = 0;
  const limit = src.length - MIN_MATCH;
  while (i <= limit) {
    const word = load32(src, i);
    const h = Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
    const candidate = table[h] ?? -1;
    table[h] = i;
    if (candidate >= 0 && i - candidate <= MAX_OFFSET && load32(src, candidate) === word) {
      let length = MIN_MATCH;
      while (i + length < src.length && src[candidate + length] === src[i + length]) length++;
      emitLiteral(out, src, literalStart, i);
      emitCopy(out, i - candidate, length);
      i += length;
      literalStart = i;
      continue;
    }
    i++;
  }
  emitLiteral(out, src, literalStart, src.length);
  return Uint8Array.from(out);
}

/**
 * Decompresses one snappy block.
 * @throws RangeError when the input is not a valid block (or would expand past `maxLength`).
 */
export function snappyDecompress(src: Uint8Array, maxLength = 64 * 1024 * 1024): Uint8Array {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new RangeError('snappy: bad length preamble');
    const b = src[pos++] ?? 0;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxLength) throw new RangeError(`snappy: block of ${length} bytes exceeds the limit of ${maxLength}`);
  const out = new Uint8Array(length);
  let o = 0;
  const need = (n: number) => {
    if (pos + n > src.length) throw new RangeError('snappy: input ends inside an element');
  };
  while (pos < src.length) {
    const tag = src[pos++] ?? 0;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        need(bytes);
        n = 0;
        for (let k = 0; k < bytes; k++) n += (src[pos + k] ?? 0) * 2 ** (8 * k);
        pos += bytes;
      }
      n += 1;
      need(n);
      if (o + n > length) throw new RangeError('snappy: literal overruns the declared length');
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      need(1);
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (src[pos++] ?? 0);
    } else if (kind === 2) {
      need(2);
      len = (tag >>> 2) + 1;
      offset = (src[pos] ?? 0) | ((src[pos + 1] ?? 0) << 8);
      pos += 2;
    } else {
      need(4);
      len = (tag >>> 2) + 1;
      offset = ((src[pos] ?? 0) | ((src[pos + 1] ?? 0) << 8) | ((src[pos + 2] ?? 0) << 16) | ((src[pos + 3] ?? 0) << 24)) >>> 0;
      pos += 4;
    }
    if (offset === 0 || offset > o) throw new RangeError('snappy: copy offset outside the output');
    if (o + len > length) throw new RangeError('snappy: copy overruns the declared length');
    // Byte by byte: a copy may overlap what it writes (offset < length repeats a pattern).
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset] ?? 0;
  }
  if (o !== length) throw new RangeError(`snappy: block decodes to ${o} bytes, declared ${length}`);
  return out;
}
