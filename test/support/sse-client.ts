/**
 * A Server-Sent Events client for tests: a plain HTTP GET whose body is parsed into frames as it
 * arrives, as a browser's EventSource would (without reconnecting).
 */
import http from 'node:http';

export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Frames with data, in arrival order. */
  frames: SseFrame[];
  /** Everything received, comments included. */
  text(): string;
  /** Resolves with the first frame (already received or to come) matching `pred`; fails after `timeoutMs`. */
  next(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves once the received text matches. */
  until(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The body of a non-200 answer. */
  body(): Promise<string>;
  close(): void;
  closed: Promise<void>;
}

export function openSse(url: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      let raw = '';
      let pending = '';
      const frames: SseFrame[] = [];
      const waiters = new Set<() => void>();
      const wake = () => waiters.forEach((w) => w());
      let ended = false;
      const closed = new Promise<void>((done) => {
        res.on('close', () => {
          ended = true;
          wake();
          done();
        });
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let at: number;
        while ((at = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, at);
          pending = pending.slice(at + 2);
          const f: Partial<SseFrame> & { data?: string } = {};
          for (const line of block.split('\n')) {
            const m = /^(event|id|data): ?(.*)$/.exec(line);
            if (!m?.[1]) continue;
            if (m[1] === 'data') f.data = f.data === undefined ? (m[2] ?? '') : `${f.data}\n${m[2] ?? ''}`;
            else f[m[1] as 'event' | 'id'] = m[2] ?? '';
          }
          if (f.data !== undefined) frames.push({ event: f.event ?? 'message', data: f.data, ...(f.id !== undefined ? { id: f.id } : {}) });
        }
        wake();
      });
      const wait = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
        new Promise<T>((ok, fail) => {
          const attempt = () => {
            const value = check();
            if (value !== undefined) {
              cleanup();
              ok(value);
            } else if (ended) {
              cleanup();
              fail(new Error(`stream ended before ${what}; received: ${raw.slice(-500)}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            fail(new Error(`timed out after ${timeoutMs}ms waiting for ${what}; received: ${raw.slice(-500)}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(attempt);
          };
          waiters.add(attempt);
          attempt();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        text: () => raw,
        next: (pred, timeoutMs = 10_000) => wait(() => frames.find(pred), timeoutMs, 'a matching frame'),
        until: async (pattern, timeoutMs = 10_000) => {
          await wait(() => (pattern.test(raw) ? true : undefined), timeoutMs, String(pattern));
        },
        body: async () => {
          await closed;
          return raw;
        },
        close: () => {
          req.destroy();
          res.destroy();
        },
        closed,
      });
    });
    req.on('error', reject);
  });
}
