import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeWriteRequest, encodeWriteRequest, type RemoteWriteSeries } from './remote-write.js';
import { toSeries } from './remote-write-queue.js';
import { snappyCompress, snappyDecompress } from './snappy.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('snappy block format', () => {
  it('writes a literal and a 1-byte-offset copy exactly as the format describes', () => {
    // "abcdabcdabcd": length 12, literal "abcd" (tag (4-1)<<2), copy of 8 at offset 4 (tag 0x11, 0x04).
    const block = bytes(0x0c, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x11, 0x04);
    expect(snappyCompress(new TextEncoder().encode('abcdabcdabcd'))).toEqual(block);
    expect(new TextDecoder().decode(snappyDecompress(block))).toBe('abcdabcdabcd');
    expect(snappyCompress(new Uint8Array(0))).toEqual(bytes(0));
  });

  it('round-trips random, repetitive and long inputs, and compresses repetition', () => {
    const inputs = [randomBytes(1), randomBytes(100), randomBytes(70_000), new TextEncoder().encode('pod_memory_usage_bytes{namespace="shop"} '.repeat(5000)), new Uint8Array(200_000)];
    for (const input of inputs) expect(Buffer.compare(snappyDecompress(snappyCompress(input)), input)).toBe(0);
    const repetitive = new TextEncoder().encode('abc'.repeat(10_000));
    expect(snappyCompress(repetitive).length).toBeLessThan(repetitive.length / 20);
  });

  it('refuses corrupt blocks instead of reading out of bounds', () => {
    expect(() => snappyDecompress(bytes(0x05, 0x01, 0x01))).toThrow(RangeError); // copy before any output
    expect(() => snappyDecompress(bytes(0x0c, 0x0c, 0x61))).toThrow(RangeError); // truncated literal
    expect(() => snappyDecompress(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01))).toThrow(RangeError);
    expect(() => snappyDecompress(bytes(0xff, 0xff, 0xff, 0x7f))).toThrow(/exceeds the limit/);
  });
});

describe('remote write WriteRequest', () => {
  it('encodes labels sorted by name and samples as double + int64 ms', () => {
    const buf = encodeWriteRequest([{ labels: { b: 'y', __name__: 'm' }, samples: [[1000, 1.5]] }]);
    // timeseries(1) { labels(1){name(1)"__name__" value(2)"m"} labels(1){"b" "y"} samples(2){value(1) double, timestamp(2) varint} }
    const expected = [
      0x0a, 0x25,
      0x0a, 0x0d, 0x0a, 0x08, ...new TextEncoder().encode('__name__'), 0x12, 0x01, 0x6d,
      0x0a, 0x06, 0x0a, 0x01, 0x62, 0x12, 0x01, 0x79,
      0x12, 0x0c, 0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 0xe8, 0x07,
    ];
    expect([...buf]).toEqual(expected);
  });

  it('round-trips series with real millisecond timestamps and unicode values', () => {
    const series: RemoteWriteSeries[] = [
      { labels: { __name__: 'pod_memory_usage_bytes', cluster: 'prod', namespace: 'shop', pod: 'cart-7d9f-x2x9k' }, samples: [[1_759_227_600_000, 123_456_789] as [number, number], [1_759_227_660_000, 0.25] as [number, number]] },
      { labels: { __name__: 'node_condition', condition: 'MemoryPressure', node: 'nœud-1' }, samples: [[1_759_227_600_123, 1] as [number, number]] },
    ];
    expect(decodeWriteRequest(encodeWriteRequest(series))).toEqual(series);
  });

  it('groups queued samples into series in time order', () => {
    const a = { __name__: 'x', pod: 'a' };
    const grouped = toSeries([
      { labels: a, t: 2, v: 20 },
      { labels: { pod: 'b', __name__: 'x' }, t: 1, v: 1 },
      { labels: { pod: 'a', __name__: 'x' }, t: 1, v: 10 },
    ]);
    expect(grouped).toEqual([
      { labels: a, samples: [[1, 10], [2, 20]] },
      { labels: { pod: 'b', __name__: 'x' }, samples: [[1, 1]] },
    ]);
  });
});
