/**
 * Event retention: every `everyMs`, stored events whose last occurrence is older than `retentionMs`
 * are deleted in batches, with the event ids folded into them (the dedupe table), and incidents resolved
 * before then with their timelines (open incidents are kept, however old). Every manager replica
 * may run it; the deletes are idempotent. Runs once at start, so a manager that was down past its
 * interval catches up.
 */
import { errorMessage } from '../contracts/index.js';
import type { Store } from '../adapters/store/index.js';
import type { Logger } from '../adapters/telemetry/index.js';

export interface EventRetentionOptions {
  store: Store;
  logger: Logger;
  /** 0: keep forever (the job does not run). */
  retentionMs: number;
  everyMs: number;
  now?: () => number;
}

/** Deletes what is past retention now; returns how many events went. */
export async function applyEventRetention(o: EventRetentionOptions): Promise<number> {
  if (o.retentionMs <= 0) return 0;
  const before = new Date((o.now?.() ?? Date.now()) - o.retentionMs);
  const deleted = await o.store.events.deleteOlderThan(before);
  if (deleted > 0) o.logger.info({ deleted, before: before.toISOString() }, 'event retention: old events deleted');
  // Incidents resolved before the same horizon go with their timelines: their signals are gone too.
  const incidents = await o.store.incidents.deleteResolvedBefore(before);
  if (incidents > 0) o.logger.info({ deleted: incidents, before: before.toISOString() }, 'event retention: old resolved incidents deleted');
  return deleted;
}

export function startEventRetention(o: EventRetentionOptions): { stop(): void } {
  if (o.retentionMs <= 0 || o.everyMs <= 0) return { stop: () => undefined };
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    applyEventRetention(o)
      .catch((err: unknown) => o.logger.error({ err: errorMessage(err) }, 'event retention failed'))
      .finally(() => (running = false));
  };
  const first = setTimeout(run, 1000);
  first.unref();
  const timer = setInterval(run, o.everyMs);
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
