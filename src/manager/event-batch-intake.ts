/**
 * Takes apart a batched event message (`aetherius.agent.{cluster_id}.events`, ADR 0016). The envelope
 * has passed the boundary; here each event is validated on its own, so that one bad event is
 * dead-lettered alone (with its index) and its batch-mates are stored. The valid events go to the
 * batcher, each with a share of the message: the message is acked once every share is done, and
 * nak'ed whole at the first share that is not (redelivered duplicates are dropped by event id).
 */
import { splitEventBatch, type AgentEvent, type AgentEventBatch } from '../contracts/index.js';
import { deadLetter, type BoundaryDeps, type Bus, type DurableMessage } from '../adapters/bus/index.js';

/** Header naming the position of a dead-lettered event in its batch. */
export const BATCH_INDEX_HEADER = 'aetherius-batch-index';

/**
 * Splits a message into `parts` shares. `ack` or `term` on a share marks it done (`term`: the event was
 * dropped for good, which the caller logged and counted); the message is acked when every share is
 * done. `nak` on any share naks the message once; later settlements are ignored.
 */
export function shareMessage(msg: DurableMessage, parts: number): DurableMessage[] {
  let remaining = parts;
  let settled = false;
  const done = (): void => {
    if (settled) return;
    remaining--;
    if (remaining === 0) {
      settled = true;
      msg.ack();
    }
  };
  const share: DurableMessage = {
    subject: msg.subject,
    data: msg.data,
    headers: msg.headers,
    stream: msg.stream,
    seq: msg.seq,
    deliveryCount: msg.deliveryCount,
    redelivered: msg.redelivered,
    replyable: false,
    string: () => msg.string(),
    json: () => msg.json(),
    respond: () => false,
    ack: done,
    term: done,
    nak: (delayMs?: number) => {
      if (settled) return;
      settled = true;
      msg.nak(delayMs);
    },
    working: () => msg.working(),
  };
  // Every share behaves the same: the count, not the object, tells them apart.
  return Array.from({ length: parts }, () => share);
}

export interface BatchIntakeResult {
  accepted: number;
  rejected: number;
}

/**
 * Validates each event of a batch, dead-letters the invalid ones and hands the rest to `add` with their
 * shares of the message. When a dead-letter publish fails the message is nak'ed whole (nothing is lost;
 * the valid events come back with it and are dropped as duplicates).
 */
export async function takeEventBatch(
  bus: Bus,
  batch: AgentEventBatch,
  msg: DurableMessage,
  add: (event: AgentEvent, share: DurableMessage) => void,
  deps: BoundaryDeps,
): Promise<BatchIntakeResult> {
  const { valid, invalid } = splitEventBatch(batch);
  let lettersFailed = false;
  for (const { index, element, detail } of invalid) {
    const ok = await deadLetter(
      bus,
      { subject: msg.subject, data: JSON.stringify(element ?? null), headers: { ...msg.headers, [BATCH_INDEX_HEADER]: String(index) } },
      { reason: 'schema_invalid', detail },
      deps,
    );
    if (!ok) lettersFailed = true;
  }
  const rejected = invalid.length;
  if (lettersFailed) {
    msg.nak(1000);
    return { accepted: 0, rejected };
  }
  if (valid.length === 0) {
    msg.ack();
    return { accepted: 0, rejected };
  }
  const shares = shareMessage(msg, valid.length);
  valid.forEach((event, i) => add(event, shares[i] as DurableMessage));
  return { accepted: valid.length, rejected };
}
