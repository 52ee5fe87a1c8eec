import type { Severity } from '../../contracts/index.js';

/** One message waiting to be published. */
export interface OutboxItem {
  /** The message id (an event's id); sent as the JetStream `msgId` so the stream drops duplicates. */
  id: string;
  subject: string;
  /** The JSON payload, already encoded. */
  body: string;
  severity: Severity;
  /** Epoch milliseconds when it was queued; the outbox sets it when absent. */
  enqueuedAt?: number;
}

/** An item as the outbox keeps it: with its position in the outbox and its enqueue time. */
export interface SequencedItem {
  /** Position in enqueue order, increasing across restarts; the journal orders by it. */
  seq: number;
  item: OutboxItem & { enqueuedAt: number };
}

/**
 * Which severity is given up first when the journal is full: the index is the rank. Among items of
 * one severity the oldest goes first.
 */
export const DROP_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export function dropRank(severity: Severity): number {
  return DROP_ORDER.indexOf(severity);
}
