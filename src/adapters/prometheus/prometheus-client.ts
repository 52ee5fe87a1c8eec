/**
 * Prometheus's HTTP API (instant and range queries) and remote write 1.0, over `fetch`. Works with any
 * server that speaks them (Prometheus with `--web.enable-remote-write-receiver`, Thanos, Mimir,
 * VictoriaMetrics). Errors are converted once:
 *
 * - the server refuses the query (400 `bad_data`, 422 `execution`) → InputError on `query`;
 * - the request times out → TimeoutError;
 * - the server cannot be reached or fails (5xx, 429, anything unexpected) → UnavailableError;
 * - a remote write refused with another 4xx → InputError (sending it again cannot help).
 */
import { z } from 'zod';
import { InputError, TimeoutError, UnavailableError, errorMessage } from '../../contracts/index.js';
import type { QueryData } from '../../core/promql/index.js';
import { encodeWriteRequest, type RemoteWriteSeries } from './remote-write.js';
import { snappyCompress } from './snappy.js';

export interface PrometheusClientOptions {
  /** Base URL, e.g. `http://prometheus:9090`. */
  url: string;
  timeoutMs: number;
  bearerToken?: string;
  /** Default: `url` + `/api/v1/write`. */
  remoteWriteUrl?: string;
  userAgent?: string;
}

const sampleValue = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());
const queryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: labels, value: sampleValue })) }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: labels, values: z.array(sampleValue) })) }),
  z.object({ resultType: z.literal('scalar'), result: sampleValue }),
  z.object({ resultType: z.literal('string'), result: sampleValue }),
]);
const apiResponse = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});

export class PrometheusClient {
  readonly #base: string;
  readonly #writeUrl: string;
  readonly #o: PrometheusClientOptions;

  constructor(o: PrometheusClientOptions) {
    this.#o = o;
    this.#base = o.url.replace(/\/+$/, '');
    this.#writeUrl = o.remoteWriteUrl || `${this.#base}/api/v1/write`;
  }

  get url(): string {
    return this.#base;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'user-agent': this.#o.userAgent ?? 'aetherius',
      ...(this.#o.bearerToken ? { authorization: `Bearer ${this.#o.bearerToken}` } : {}),
      ...extra,
    };
  }

  async #fetch(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.#o.timeoutMs) });
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new TimeoutError(`Prometheus did not answer ${what} within ${this.#o.timeoutMs} ms`, { cause: err });
      }
      throw new UnavailableError(`Prometheus at ${this.#base} cannot be reached (${what}): ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * GET /api/v1/query: the query evaluated at `timeMs`.
   * @throws InputError when Prometheus refuses the query; TimeoutError; UnavailableError.
   */
  query(query: string, timeMs: number): Promise<QueryData> {
    return this.#api('/api/v1/query', { query, time: String(timeMs / 1000) });
  }

  /**
   * GET /api/v1/query_range.
   * @throws InputError when Prometheus refuses the query or range; TimeoutError; UnavailableError.
   */
  queryRange(query: string, startMs: number, endMs: number, stepMs: number): Promise<QueryData> {
    return this.#api('/api/v1/query_range', { query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepMs / 1000) });
  }

  async #api(path: string, params: Record<string, string>): Promise<QueryData> {
    const res = await this.#fetch(`${this.#base}${path}?${new URLSearchParams(params).toString()}`, { headers: this.#headers({ accept: 'application/json' }) }, path);
    const text = await res.text();
    let body: z.infer<typeof apiResponse> | undefined;
    try {
      const parsed = apiResponse.safeParse(JSON.parse(text));
      if (parsed.success) body = parsed.data;
    } catch {
      body = undefined;
    }
    if (res.ok && body?.status === 'success') {
      const data = queryData.safeParse(body.data);
      if (!data.success) throw new UnavailableError(`Prometheus answered ${path} with data this client does not understand`);
      if (data.data.resultType === 'string') throw new InputError('invalid query: string results are not supported', [{ path: 'query', message: 'evaluates to a string' }]);
      return data.data;
    }
    const detail = body?.error ?? text.slice(0, 200);
    if (res.status === 400 || res.status === 422) {
      throw new InputError(`Prometheus refused the query: ${detail}`, [{ path: 'query', message: `${body?.errorType ?? 'bad_data'}: ${detail}` }]);
    }
    throw new UnavailableError(`Prometheus answered ${path} with HTTP ${res.status}: ${detail}`);
  }

  /**
   * POSTs one remote-write request.
   * @throws InputError when the receiver refuses it for good (4xx other than 429), UnavailableError when
   *   a retry may succeed (5xx, 429, network), TimeoutError.
   */
  async remoteWrite(series: readonly RemoteWriteSeries[]): Promise<void> {
    if (series.length === 0) return;
    const body = snappyCompress(encodeWriteRequest(series));
    const res = await this.#fetch(
      this.#writeUrl,
      {
        method: 'POST',
        headers: this.#headers({ 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' }),
        body,
      },
      'a remote write',
    );
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      throw new InputError(`Prometheus refused a remote write (HTTP ${res.status}): ${text.slice(0, 200)}`, [{ path: 'remote_write', message: `HTTP ${res.status}` }]);
    }
    throw new UnavailableError(`Prometheus remote write failed with HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}
