/**
 * Picks the bus adapter from configuration: real NATS when a URL is given, else the in-process bus.
 */
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Bus } from './bus.js';
import { MemoryBus } from './memory-bus.js';
import { NatsBus, type NatsBusOptions } from './nats-bus.js';

export interface CreateBusOptions extends Omit<NatsBusOptions, 'servers' | 'logger' | 'metrics'> {
  /**
   * NATS server URL, or several separated by commas. Unset or empty: the embedded in-process bus
   * (single process only; nothing survives a restart).
   */
  url?: string;
}

export interface CreateBusDeps {
  logger: Logger;
  /** Bus reconnections and connection state are counted here (NATS only). */
  metrics?: Metrics;
}

/**
 * @throws ConfigError when NATS options are invalid or conflict.
 * @throws BusError when NATS cannot be reached or has no JetStream.
 */
export async function createBus(options: CreateBusOptions, deps: CreateBusDeps): Promise<Bus> {
  const servers = (options.url ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) return new MemoryBus({ logger: deps.logger });
  const { url: _url, ...nats } = options;
  return NatsBus.connect({ ...nats, servers, logger: deps.logger, ...(deps.metrics ? { metrics: deps.metrics } : {}) });
}
