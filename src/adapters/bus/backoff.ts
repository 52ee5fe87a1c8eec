/**
 * Redelivery delay after a failed handler: doubling from `NAK_BACKOFF_BASE_MS`, capped at
 * `NAK_BACKOFF_MAX_MS`, so a poison message does not spin while a transient failure is retried soon.
 */
export const NAK_BACKOFF_BASE_MS = 200;
export const NAK_BACKOFF_MAX_MS = 30_000;

/** Delay before the next delivery of a message that failed on delivery number `deliveryCount` (1-based). */
export function nakBackoffMs(deliveryCount: number): number {
  const exponent = Math.max(0, Math.min(deliveryCount - 1, 20));
  return Math.min(NAK_BACKOFF_BASE_MS * 2 ** exponent, NAK_BACKOFF_MAX_MS);
}
