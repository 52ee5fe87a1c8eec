import { describe, expect, it } from 'vitest';
import { JsonLineSplitter, LineTooLongError } from './json-line-splitter.js';

describe('JsonLineSplitter', () => {
  it('joins an object cut across chunks and splits several objects in one chunk', () => {
    const s = new JsonLineSplitter();
    const text = '{"type":"ADDED","object":{"a":1}}\n{"type":"MODIFIED","object":{"a":2}}\n{"type":"DELETED","object":{"a":3}}\n';
    const buf = Buffer.from(text);
    expect(s.push(buf.subarray(0, 10))).toEqual([]);
    const lines = [...s.push(buf.subarray(10, 80)), ...s.push(buf.subarray(80))];
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(s.end()).toBeUndefined();
  });

  it('keeps a multi-byte character intact when a chunk boundary cuts it', () => {
    const s = new JsonLineSplitter();
    const buf = Buffer.from('{"msg":"Pod 节点 🚀 ok"}\n');
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(...s.push(buf.subarray(i, i + 1)));
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0] as string) as { msg: string }).msg).toBe('Pod 节点 🚀 ok');
  });

  it('returns a last line without newline at end and skips blank lines', () => {
    const s = new JsonLineSplitter();
    expect(s.push(Buffer.from('\n\n{"a":1}\r\n  \n{"b"'))).toEqual(['{"a":1}\r']);
    expect(s.push(Buffer.from(':2}'))).toEqual([]);
    expect(s.end()).toBe('{"b":2}');
  });

  it('refuses a line longer than the limit instead of buffering without bound', () => {
    const s = new JsonLineSplitter(16);
    expect(s.push(Buffer.from('{"a":"0123'))).toEqual([]);
    expect(() => s.push(Buffer.from('456789abcdef'))).toThrow(LineTooLongError);
  });
});
