/**
 * Kubernetes resource quantities and Go durations, parsed and printed the way the API server,
 * scheduler, kubelet, metrics-server and kubectl do. One module shared by the simulator and the agent.
 */
import { parseDuration } from '../../contracts/common.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

export const MI = 2 ** 20;

/** A quantity (`128Mi`, `0.5`, `100m`, `1e3`, or a number) in base units (cores, bytes); undefined when malformed. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** CPU in millicores (`500m` → 500, `2` → 2000); 0 when absent or malformed. */
export function cpuMillis(q: unknown): number {
  const n = parseQuantity(q);
  return n === undefined ? 0 : Math.round(n * 1000);
}

/** Memory or storage in bytes; 0 when absent or malformed. */
export function bytesOf(q: unknown): number {
  const n = parseQuantity(q);
  return n === undefined ? 0 : Math.round(n);
}

/** Bytes in the largest binary unit that divides them exactly: `128Mi`, `87040Ki`, `1Gi`, `1000`. */
export function formatBytes(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  if (b === 0) return '0';
  for (const [suffix, size] of Object.entries(BINARY).reverse()) if (b % size === 0) return `${b / size}${suffix}`;
  return String(b);
}

/** CPU cores as the API server prints a quantity: `500m`, `1`, `2500m`. */
export function formatCpuCores(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** CPU as metrics-server writes it: always millicores (`25m`, `2000m`). */
export function formatMillicores(millicores: number): string {
  return `${Math.max(0, Math.round(millicores))}m`;
}

/** A quota resource's amount the way `kubectl describe quota` shows it. */
export function formatResource(resource: string, value: number): string {
  if (/(^|\.)cpu$/.test(resource)) return formatCpuCores(value);
  if (/(^|\.)(memory|storage|ephemeral-storage)$/.test(resource)) return formatBytes(value);
  return Number.isInteger(value) ? String(value) : formatCpuCores(value);
}

/** A time.Duration as Go prints it: `10s`, `1m20s`, `5m0s`, `1.2s`, `850ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds - h * 3600 - m * 60;
  const sText = `${Number.isInteger(s) ? s : Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sText}`;
  if (m > 0) return `${m}m${sText}`;
  return sText;
}

/** A scenario duration (`60s`, `2m`, `1m30s`, `1h`, or a number of seconds) in ms; NaN when malformed. */
export function parseDurationMs(text: string | number): number {
  if (typeof text === 'number') return text * 1000;
  try {
    return parseDuration(text.trim());
  } catch {
    return NaN;
  }
}
