/**
 * Kubernetes resource quantities (`100m`, `1.5`, `64Mi`, `2G`, `1e3`): parsing for validation and
 * formatting for metrics.k8s.io, in the canonical forms `kubectl top` reads.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value in base units (cores, bytes), or undefined when `text` is not a quantity. */
export function parseQuantity(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** CPU as metrics-server writes it for small values: `25m`; whole cores stay millicores too (`2000m`). */
export function formatCpu(millicores: number): string {
  return `${Math.max(0, Math.round(millicores))}m`;
}

/** Memory in the largest binary unit that divides it exactly: `64Mi`, `1536Ki`, `1000`. */
export function formatMemory(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  if (b === 0) return '0';
  for (const [suffix, factor] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (b % factor === 0) return `${b / factor}${suffix}`;
  }
  return String(b);
}
