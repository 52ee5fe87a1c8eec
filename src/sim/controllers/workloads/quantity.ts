/**
 * Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1G`, `1e3`) as numbers, and back in the
 * canonical form the API server prints (`800m`, `1`, `128Mi`).
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value in base units (cores, bytes); `undefined` for text that is not a quantity. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** CPU cores → `500m`, `1`, `2500m`. */
export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes → `128Mi`, `1Gi`, `0`, or plain bytes when no binary suffix divides it. */
export function formatBytes(bytes: number): string {
  const b = Math.round(bytes);
  if (b === 0) return '0';
  for (const [suffix, size] of Object.entries(BINARY).reverse()) if (b % size === 0) return `${b / size}${suffix}`;
  return String(b);
}

/** Formats a quota resource's amount the way `kubectl describe quota` shows it. */
export function formatResource(resource: string, value: number): string {
  if (/(^|\.)cpu$/.test(resource)) return formatCpu(value);
  if (/(^|\.)(memory|storage|ephemeral-storage)$/.test(resource)) return formatBytes(value);
  return Number.isInteger(value) ? String(value) : formatCpu(value);
}
