/**
 * Fits one metrics collection into bus messages: a NATS server refuses a message over its `max_payload`
 * (1 MiB by default), and a 5,000-pod cluster's pod metrics alone are about 1.2 MB. A collection that
 * fits goes as one message, exactly the architecture's format; a larger one is divided into parts that
 * each repeat `cluster_metrics`, the first carrying node and namespace metrics (docs/contracts.md).
 */
import type { AgentMetrics } from '../../contracts/index.js';

/**
 * The message bodies (JSON) for `message`, each at most `maxBytes` when that is achievable.
 * @throws RangeError when `maxBytes` is too small for even the smallest part (a few KiB).
 */
export function splitMetrics(message: AgentMetrics, collectionId: string, maxBytes: number): string[] {
  const whole = JSON.stringify(message);
  if (Buffer.byteLength(whole) <= maxBytes) return [whole];
  const pods = message.pod_metrics;
  // Aim below the limit so that uneven pod entries rarely force a second pass.
  let total = Math.ceil(Buffer.byteLength(whole) / (maxBytes * 0.8));
  for (let attempt = 0; attempt < 8; attempt++, total *= 2) {
    const size = Math.ceil(pods.length / total) || 1;
    const count = Math.max(1, Math.ceil(pods.length / size));
    const bodies: string[] = [];
    for (let index = 0; index < count; index++) {
      bodies.push(
        JSON.stringify({
          ...message,
          node_metrics: index === 0 ? message.node_metrics : [],
          namespace_metrics: index === 0 ? message.namespace_metrics : [],
          pod_metrics: pods.slice(index * size, (index + 1) * size),
          part: { collection_id: collectionId, index, total: count },
        } satisfies AgentMetrics),
      );
    }
    if (bodies.every((b) => Buffer.byteLength(b) <= maxBytes)) return bodies;
    if (size === 1) break;
  }
  throw new RangeError(`a metrics message cannot be split to fit ${maxBytes} bytes`);
}
