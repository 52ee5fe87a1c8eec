/**
 * Prometheus remote write 1.0 (https://prometheus.io/docs/specs/prw/remote_write_spec/): a protobuf
 * `prometheus.WriteRequest`, snappy-compressed (block format), POSTed with
 * `Content-Type: application/x-protobuf`, `Content-Encoding: snappy` and
 * `X-Prometheus-Remote-Write-Version: 0.1.0`. The messages are small enough to encode by hand:
 *
 *     message WriteRequest { repeated TimeSeries timeseries = 1; }
 *     message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *     message Label        { string name = 1; string value = 2; }
 *     message Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *
 * Labels are sorted by name and `__name__` is one of them; a series' samples are in time order.
 */

export interface RemoteWriteSeries {
  /** Including `__name__`. */
  labels: Record<string, string>;
  /** [unix ms, value], oldest first. */
  samples: [number, number][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  readonly bytes: number[] = [];

  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`protobuf: ${n} is not a non-negative safe integer`);
    let v = n;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  bytesField(field: number, data: Uint8Array | number[]): void {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
  }

  double(field: number, value: number): void {
    this.tag(field, 1);
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.bytes.push(buf.getUint8(i));
  }
}

/**
 * The protobuf bytes of a WriteRequest holding `series`.
 * @throws RangeError for a timestamp that is negative or not an integer.
 */
export function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Uint8Array {
  const req = new Writer();
  for (const s of series) {
    const ts = new Writer();
    for (const name of Object.keys(s.labels).sort()) {
      const label = new Writer();
      label.bytesField(1, encoder.encode(name));
      label.bytesField(2, encoder.encode(s.labels[name] ?? ''));
      ts.bytesField(1, label.bytes);
    }
    for (const [t, v] of s.samples) {
      const sample = new Writer();
      sample.double(1, v);
      sample.tag(2, 0);
      sample.varint(t);
      ts.bytesField(2, sample.bytes);
    }
    req.bytesField(1, ts.bytes);
  }
  return Uint8Array.from(req.bytes);
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.buf.length || shift > 63) throw new RangeError('protobuf: truncated varint');
      const b = this.buf[this.pos++] ?? 0;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new RangeError('protobuf: field overruns the message');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`protobuf: unsupported wire type ${wireType}`);
    if (this.pos > this.buf.length) throw new RangeError('protobuf: field overruns the message');
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new RangeError('protobuf: truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }
}

/**
 * Reads a WriteRequest (what a remote-write receiver does; used by tests' protocol fake). Fields this
 * module does not write (exemplars, histograms, metadata) are skipped.
 * @throws RangeError when the bytes are not a valid WriteRequest.
 */
export function decodeWriteRequest(buf: Uint8Array): RemoteWriteSeries[] {
  const out: RemoteWriteSeries[] = [];
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    if (key >>> 3 !== 1 || (key & 7) !== 2) {
      r.skip(key & 7);
      continue;
    }
    const ts = new Reader(r.bytes());
    const series: RemoteWriteSeries = { labels: {}, samples: [] };
    while (!ts.done) {
      const k = ts.varint();
      const field = k >>> 3;
      if (field === 1 && (k & 7) === 2) {
        const l = new Reader(ts.bytes());
        let name = '';
        let value = '';
        while (!l.done) {
          const lk = l.varint();
          if ((lk & 7) !== 2) l.skip(lk & 7);
          else if (lk >>> 3 === 1) name = decoder.decode(l.bytes());
          else if (lk >>> 3 === 2) value = decoder.decode(l.bytes());
          else l.bytes();
        }
        series.labels[name] = value;
      } else if (field === 2 && (k & 7) === 2) {
        const s = new Reader(ts.bytes());
        let value = 0;
        let t = 0;
        while (!s.done) {
          const sk = s.varint();
          if (sk >>> 3 === 1 && (sk & 7) === 1) value = s.double();
          else if (sk >>> 3 === 2 && (sk & 7) === 0) t = s.varint();
          else s.skip(sk & 7);
        }
        series.samples.push([t, value]);
      } else ts.skip(k & 7);
    }
    out.push(series);
  }
  return out;
}
