import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { BusMessage } from './bus.js';
import { checkMessage } from './boundary.js';
import { decodeJson } from './message.js';

const schema = z.object({ schema_version: z.literal(1), name: z.string() });
const lookup = (subject: string) => (subject === 'known' ? schema : undefined);

function msg(subject: string, text: string): BusMessage {
  const data = new TextEncoder().encode(text);
  return { subject, data, headers: {}, replyable: false, string: () => text, json: () => decodeJson(data, subject), respond: () => false };
}

describe('checkMessage', () => {
  it.each([
    ['known', '{"schema_version":1,"name":"a"}', 'ok'],
    ['unknown', '{"schema_version":1,"name":"a"}', 'unknown_subject'],
    ['known', '{oops', 'invalid_json'],
    ['known', '{"schema_version":1,"name":3}', 'schema_invalid'],
    ['known', '{"name":"a"}', 'schema_invalid'],
    ['known', '{"schema_version":2,"name":"a"}', 'unsupported_schema_version'],
    ['known', `{"schema_version":1,"name":"${'x'.repeat(100)}"}`, 'payload_too_large'],
  ])('%s %s → %s', (subject, text, expected) => {
    const verdict = checkMessage(msg(subject, text), lookup, 64);
    expect(verdict.ok ? 'ok' : verdict.reason).toBe(expected);
  });

  it('names the bad field in the detail', () => {
    const verdict = checkMessage(msg('known', '{"schema_version":1,"name":3}'), lookup);
    expect(verdict.ok ? '' : verdict.detail).toMatch(/^name: /);
  });
});
