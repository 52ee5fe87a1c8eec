/**
 * The targets of `aetherius start`, Loki/Mimir style: `all` runs every service in one process; any other
 * target runs one service for scale-out.
 */
export const SERVICE_NAMES = ['agent', 'manager', 'api', 'orchestrator', 'reasoning'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const TARGETS = ['all', ...SERVICE_NAMES] as const;
export type Target = (typeof TARGETS)[number];

/** Services not built yet, with the issue that builds them. They say so instead of pretending. */
export const NOT_IMPLEMENTED: Readonly<Partial<Record<ServiceName, string>>> = {
  orchestrator: 'the orchestrator arrives with a later issue (workflows and remediation)',
};

/**
 * Expands `--target` (one target or a comma-separated list) into services, in start order.
 * @throws RangeError naming the unknown target.
 */
export function expandTargets(spec: string): ServiceName[] {
  const wanted = new Set<ServiceName>();
  for (const raw of spec.split(',')) {
    const t = raw.trim();
    if (t === 'all') SERVICE_NAMES.forEach((s) => wanted.add(s));
    else if ((SERVICE_NAMES as readonly string[]).includes(t)) wanted.add(t as ServiceName);
    else throw new RangeError(`unknown target ${JSON.stringify(t)}; expected one of ${TARGETS.join(', ')} (or a comma-separated list)`);
  }
  return SERVICE_NAMES.filter((s) => wanted.has(s));
}

/** A service started in this process. */
export interface RunningService {
  readonly name: ServiceName;
  /** Stops taking work, finishes in-flight work, releases resources. Idempotent. */
  stop(): Promise<void>;
}
