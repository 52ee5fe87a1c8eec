/**
 * The validating boundary every consumer goes through. A message that is too large, not JSON, on a
 * subject with no schema, or not matching its schema is rejected exactly once: one warning log, one
 * increment of `aetherius_rejected_messages_total{subject,reason}`, a copy of the original payload on
 * `aetherius.deadletter.{subject}` with the reason in its headers, and (durable) an ack so it never
 * blocks or poisons the stream. Nothing is thrown back to the bus.
 *
 * A handler failure on a valid message is different: it is logged and the message is nak'ed with
 * back-off, so it is redelivered (up to the consumer's max deliver). A handler that finds a valid
 * message unacceptable for a reason only it can judge (an agent id registered for another cluster)
 * throws `MessageRejectedError`: the message is then rejected exactly like a malformed one.
 */
import type { z } from 'zod';
import { NotAllowedError, errorMessage } from '../../contracts/errors.js';
import { schemaForSubject } from '../../contracts/bus-messages.js';
import { DEAD_LETTER_PREFIX, deadLetterSubject, parseAgentSubject } from '../../contracts/subjects.js';
import { toValidationIssues } from '../../contracts/validate.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { nakBackoffMs } from './backoff.js';
import type { Bus, BusMessage, ConsumeOptions, DurableMessage, SubscribeOptions, Subscription } from './bus.js';
import { headerValue } from './message.js';
import { subjectPattern } from './subject-match.js';

/** The schema for an application subject; undefined when the subject carries no known message. */
export type SchemaLookup = (subject: string) => z.ZodType | undefined;

/** Stable `reason` label values of `aetherius_rejected_messages_total` and of the reject header. */
export type RejectReason = 'payload_too_large' | 'unknown_subject' | 'invalid_json' | 'unsupported_schema_version' | 'schema_invalid' | 'identity_mismatch';

/**
 * Thrown by a handler to reject a valid message (counted, logged, dead-lettered and acked like a
 * malformed one, never redelivered).
 */
export class MessageRejectedError extends NotAllowedError {
  readonly reason: RejectReason;

  constructor(reason: RejectReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * The schema lookup for agent subjects, tightened so that a payload's `cluster_id` must equal the
 * cluster in its subject (`aetherius.agent.{cluster_id}.*`): an agent may only publish for its own
 * cluster. Other subjects get their plain schema.
 */
export function sameClusterLookup(): SchemaLookup {
  const cache = new Map<string, z.ZodType>();
  return (subject) => {
    const cached = cache.get(subject);
    if (cached) return cached;
    const schema = schemaForSubject(subject);
    const parsed = parseAgentSubject(subject);
    if (!schema || !parsed) return schema;
    const tightened = schema.superRefine((value, ctx) => {
      const clusterId = (value as { cluster_id?: unknown }).cluster_id;
      if (clusterId !== parsed.clusterId) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster_id'],
          message: `must equal the subject's cluster id ${JSON.stringify(parsed.clusterId)} (an agent may only publish for its own cluster)`,
        });
      }
    });
    if (cache.size < 10_000) cache.set(subject, tightened);
    return tightened;
  };
}

/** Header in which an agent names itself on the messages it publishes (checked by the manager). */
export const AGENT_ID_HEADER = 'aetherius-agent-id';
export const REJECT_REASON_HEADER = 'aetherius-reject-reason';
export const REJECT_DETAIL_HEADER = 'aetherius-reject-detail';
export const ORIGINAL_SUBJECT_HEADER = 'aetherius-original-subject';
/** Longest `aetherius-reject-detail` header value; longer details are cut with `…`. */
export const MAX_REJECT_DETAIL_CHARS = 1024;
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface BoundaryDeps {
  logger: Logger;
  metrics?: Metrics;
  /** Larger payloads are rejected as `payload_too_large`. Default 1 MiB. */
  maxPayloadBytes?: number;
}

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail: string };

/** Decodes and validates one message; never throws. */
export function checkMessage<T>(msg: BusMessage, lookup: SchemaLookup, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): Verdict<T> {
  if (msg.data.byteLength > maxPayloadBytes) {
    return { ok: false, reason: 'payload_too_large', detail: `${msg.data.byteLength} bytes exceeds the limit of ${maxPayloadBytes}` };
  }
  const schema = lookup(msg.subject);
  if (!schema) return { ok: false, reason: 'unknown_subject', detail: `no message schema is defined for subject ${msg.subject}` };
  let input: unknown;
  try {
    input = msg.json();
  } catch (err) {
    return { ok: false, reason: 'invalid_json', detail: errorMessage(err) };
  }
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data as T };
  const issues = toValidationIssues(result.error);
  const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  // A present but different schema_version means another build's message, not a broken one.
  const versionPresent = typeof input === 'object' && input !== null && 'schema_version' in input;
  const versionIssue = issues.some((i) => i.path === 'schema_version');
  return { ok: false, reason: versionPresent && versionIssue ? 'unsupported_schema_version' : 'schema_invalid', detail };
}

/**
 * Consumes a durable stream through the boundary: `handler` only ever sees valid values. Rejected
 * messages are dead-lettered and acked (or nak'ed with back-off when the dead-letter publish fails, so
 * that nothing is lost); a throwing handler gets its message nak'ed with back-off.
 * @throws BusError (via the promise) when the consumer cannot be created.
 */
export function consumeValidated<T = unknown>(
  bus: Bus,
  options: ConsumeOptions,
  lookup: SchemaLookup,
  handler: (value: T, msg: DurableMessage) => void | Promise<void>,
  deps: BoundaryDeps,
): Promise<Subscription> {
  return bus.consume(options, async (msg) => {
    const verdict = checkMessage<T>(msg, lookup, deps.maxPayloadBytes);
    if (!verdict.ok) {
      if (await reject(bus, msg, verdict, deps)) msg.ack();
      else msg.nak(nakBackoffMs(msg.deliveryCount));
      return;
    }
    try {
      await handler(verdict.value, msg);
      deps.metrics?.handledMessages.inc({ subject: subjectPattern(msg.subject), outcome: 'ok' });
    } catch (err) {
      if (err instanceof MessageRejectedError) {
        if (await reject(bus, msg, { reason: err.reason, detail: err.message }, deps)) msg.ack();
        else msg.nak(nakBackoffMs(msg.deliveryCount));
        return;
      }
      const retryInMs = nakBackoffMs(msg.deliveryCount);
      deps.logger.error({ err, subject: msg.subject, seq: msg.seq, deliveryCount: msg.deliveryCount, retryInMs }, 'bus handler failed; message will be redelivered');
      deps.metrics?.handledMessages.inc({ subject: subjectPattern(msg.subject), outcome: 'error' });
      msg.nak(retryInMs);
    }
  });
}

/**
 * Core subscription through the boundary. A rejected request gets no reply (its sender times out);
 * handler failures are logged.
 * @throws BusError when the subscription cannot be made; InputError for an invalid subject.
 */
export function subscribeValidated<T = unknown>(
  bus: Bus,
  subject: string,
  lookup: SchemaLookup,
  handler: (value: T, msg: BusMessage) => void | Promise<void>,
  options: SubscribeOptions,
  deps: BoundaryDeps,
): Subscription {
  return bus.subscribe(
    subject,
    async (msg) => {
      const verdict = checkMessage<T>(msg, lookup, deps.maxPayloadBytes);
      if (!verdict.ok) {
        await reject(bus, msg, verdict, deps);
        return;
      }
      try {
        await handler(verdict.value, msg);
        deps.metrics?.handledMessages.inc({ subject: subjectPattern(msg.subject), outcome: 'ok' });
      } catch (err) {
        if (err instanceof MessageRejectedError) {
          await reject(bus, msg, { reason: err.reason, detail: err.message }, deps);
          return;
        }
        deps.logger.error({ err, subject: msg.subject }, 'bus handler failed');
        deps.metrics?.handledMessages.inc({ subject: subjectPattern(msg.subject), outcome: 'error' });
      }
    },
    options,
  );
}

/** Logs, counts and dead-letters a rejected message; false when the dead-letter publish failed. */
function reject(bus: Bus, msg: BusMessage, verdict: { reason: RejectReason; detail: string }, deps: BoundaryDeps): Promise<boolean> {
  return deadLetter(bus, { subject: msg.subject, data: msg.data, headers: msg.headers }, verdict, deps);
}

/**
 * Logs, counts and dead-letters one rejected payload — a whole message, or one part of a batch that
 * was rejected alone — on `aetherius.deadletter.{subject}` with the reason in its headers.
 * @returns false when the dead-letter publish failed (the caller should have the message redelivered).
 */
export async function deadLetter(
  bus: Bus,
  rejected: { subject: string; data: Uint8Array | string; headers: Readonly<Record<string, string>> },
  verdict: { reason: RejectReason; detail: string },
  deps: BoundaryDeps,
): Promise<boolean> {
  const { subject } = rejected;
  const { reason, detail } = verdict;
  deps.logger.warn({ subject, reason, detail: headerValue(detail, MAX_REJECT_DETAIL_CHARS) }, 'bus message rejected');
  deps.metrics?.rejectedMessages.inc({ subject: subjectPattern(subject), reason });
  // A dead letter that fails validation again is not dead-lettered again (no loop).
  if (subject.startsWith(`${DEAD_LETTER_PREFIX}.`)) return true;
  try {
    await bus.publish(deadLetterSubject(subject), rejected.data, {
      headers: {
        ...rejected.headers,
        [REJECT_REASON_HEADER]: reason,
        [REJECT_DETAIL_HEADER]: headerValue(detail, MAX_REJECT_DETAIL_CHARS),
        [ORIGINAL_SUBJECT_HEADER]: subject,
      },
    });
    return true;
  } catch (err) {
    deps.logger.error({ err, subject, reason }, 'bus could not dead-letter a rejected message');
    return false;
  }
}
