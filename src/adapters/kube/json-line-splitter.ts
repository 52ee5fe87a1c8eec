/**
 * Frames a watch stream into lines without buffering the whole body: the API server writes one JSON
 * object per line, but TCP chunks cut anywhere — inside an object, inside a multi-byte character, or
 * several objects at once. Splitting on the newline byte is safe for UTF-8 (0x0a never occurs inside a
 * multi-byte sequence), so lines are decoded only once complete.
 */

/** Longest line accepted: far above the largest object etcd stores (1.5 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`a watch event is longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

export class JsonLineSplitter {
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /**
   * The complete, non-blank lines this chunk finishes, in order.
   * @throws LineTooLongError when a line grows beyond the limit without a newline.
   */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      let line: string;
      if (this.#pending.length) {
        line = Buffer.concat([...this.#pending, piece]).toString('utf8');
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        line = piece.toString('utf8');
      }
      if (line.trim()) lines.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#pendingBytes += rest.length;
      if (this.#pendingBytes > this.#maxLineBytes) {
        this.#pending = [];
        this.#pendingBytes = 0;
        throw new LineTooLongError(this.#maxLineBytes);
      }
      // Copy: the caller's chunk buffer may be pooled and reused.
      this.#pending.push(Buffer.from(rest));
    }
    return lines;
  }

  /** What is left after the stream ended, when the last line had no newline. */
  end(): string | undefined {
    if (!this.#pending.length) return undefined;
    const line = Buffer.concat(this.#pending).toString('utf8');
    this.#pending = [];
    this.#pendingBytes = 0;
    return line.trim() ? line : undefined;
  }
}
