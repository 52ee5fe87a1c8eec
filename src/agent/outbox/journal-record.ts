/**
 * The journal's record format: one line per item, `<crc32 as 8 hex digits> <json>\n`. Lines make a
 * corrupt or torn record easy to step over (the next newline starts the next record); the CRC catches
 * a line whose bytes are not the ones written (a torn write that happens to end in a newline, a flipped
 * bit). The JSON keys are spelled out so that a person debugging an agent can read a segment with `less`.
 */
import { crc32 } from 'node:zlib';
import type { Severity } from '../../contracts/index.js';
import type { OutboxItem, SequencedItem } from './outbox-item.js';

/** A record encoded for appending, with what the journal needs to account for it. */
export interface EncodedRecord extends SequencedItem {
  /** The complete line, newline included. */
  line: string;
  /** UTF-8 length of `line`. */
  bytes: number;
}

interface RecordJson {
  seq: number;
  id: string;
  subject: string;
  severity: Severity;
  enqueued_at: number;
  body: string;
}

const SEVERITY_SET: ReadonlySet<string> = new Set<Severity>(['critical', 'high', 'medium', 'low']);
const NEWLINE = 0x0a;
const SPACE = 0x20;
const CRC_DIGITS = 8;

export function encodeRecord(seq: number, item: OutboxItem & { enqueuedAt: number }): EncodedRecord {
  const record: RecordJson = { seq, id: item.id, subject: item.subject, severity: item.severity, enqueued_at: item.enqueuedAt, body: item.body };
  const json = JSON.stringify(record);
  const line = `${crc32(json).toString(16).padStart(CRC_DIGITS, '0')} ${json}\n`;
  return { seq, item, line, bytes: Buffer.byteLength(line) };
}

/**
 * Decodes one line (without its newline). Undefined when the line is torn, corrupt or not a record:
 * the caller skips it and counts it; a bad record never stops the replay.
 */
export function decodeRecord(line: Uint8Array): SequencedItem | undefined {
  if (line.length < CRC_DIGITS + 3 || line[CRC_DIGITS] !== SPACE || line.includes(NEWLINE)) return undefined;
  const buf = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  const crcText = buf.toString('latin1', 0, CRC_DIGITS);
  if (!/^[0-9a-f]{8}$/.test(crcText)) return undefined;
  const json = buf.subarray(CRC_DIGITS + 1);
  if (crc32(json) !== Number.parseInt(crcText, 16)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecordJson(parsed)) return undefined;
  return {
    seq: parsed.seq,
    item: { id: parsed.id, subject: parsed.subject, body: parsed.body, severity: parsed.severity, enqueuedAt: parsed.enqueued_at },
  };
}

function isRecordJson(value: unknown): value is RecordJson {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(r.seq) &&
    (r.seq as number) > 0 &&
    typeof r.id === 'string' &&
    r.id !== '' &&
    typeof r.subject === 'string' &&
    r.subject !== '' &&
    typeof r.severity === 'string' &&
    SEVERITY_SET.has(r.severity) &&
    typeof r.enqueued_at === 'number' &&
    Number.isFinite(r.enqueued_at) &&
    typeof r.body === 'string'
  );
}
