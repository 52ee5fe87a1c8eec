/**
 * Command output bounded in bytes: cut at a UTF-8 character boundary, with a marker line saying how much
 * there was, so the reader knows the text is partial. The marker counts towards the limit.
 */

export interface TruncatedOutput {
  output: string;
  truncated: boolean;
}

/** `3.2 MiB`, `1 MiB`, `512 KiB`, `900 B`. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 ? String(value) : String(Number(value.toFixed(1)));
  return `${shown} ${units[unit]}`;
}

/** The longest prefix of `bytes` no longer than `max` that ends on a character boundary. */
function utf8Prefix(bytes: Buffer, max: number): Buffer {
  let end = Math.min(max, bytes.length);
  // Step back over continuation bytes (10xxxxxx) to the start of the character that did not fit.
  if (end < bytes.length) while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * `text` if it fits in `maxBytes` of UTF-8, else its longest prefix that fits together with the marker.
 * `atLeast` says the text was already capped upstream, so its size is a lower bound.
 */
export function truncateOutput(text: string, maxBytes: number, atLeast = false): TruncatedOutput {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { output: text, truncated: false };
  const total = `${atLeast ? 'more than ' : ''}${formatSize(bytes.length)} total`;
  // The marker's own size depends on the shown size, so size it with a generous estimate first.
  const estimate = Buffer.byteLength(`\n... [output truncated by aetherius: ${total}, ${formatSize(maxBytes)} shown]`) + 8;
  const kept = utf8Prefix(bytes, Math.max(0, maxBytes - estimate));
  const marker = `\n... [output truncated by aetherius: ${total}, ${formatSize(kept.length)} shown]`;
  return { output: kept.toString('utf8') + marker, truncated: true };
}
