/**
 * Pieces both adapters share to build `BusMessage`s the same way: text and JSON decoding with the same
 * error, and header rules that match what a NATS server accepts.
 */
import { InputError } from '../../contracts/errors.js';
import type { Headers } from './bus.js';

const textDecoder = new TextDecoder();

export function decodeText(data: Uint8Array): string {
  return textDecoder.decode(data);
}

/**
 * @throws InputError when `data` is not valid JSON.
 */
export function decodeJson(data: Uint8Array, subject: string): unknown {
  try {
    return JSON.parse(decodeText(data)) as unknown;
  } catch (err) {
    throw new InputError(`message on ${subject} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, [], { cause: err });
  }
}

const HEADER_NAME = /^[!-9;-~]+$/; // printable ASCII without ':' or space
const HEADER_VALUE_FORBIDDEN = /[\r\n]/;

/**
 * Copies headers, refusing what NATS cannot carry.
 * @throws InputError naming the bad header.
 */
export function checkedHeaders(headers: Headers | undefined): Headers {
  if (!headers) return EMPTY_HEADERS;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new InputError(`invalid header name ${JSON.stringify(name)}`, [{ path: `headers.${name}`, message: 'must be printable ASCII without ":" or spaces' }]);
    if (typeof value !== 'string' || HEADER_VALUE_FORBIDDEN.test(value)) {
      throw new InputError(`invalid value for header ${name}`, [{ path: `headers.${name}`, message: 'must be a string without line breaks' }]);
    }
    out[name] = value;
  }
  return Object.freeze(out);
}

export const EMPTY_HEADERS: Headers = Object.freeze({});

/** Makes a header value safe to send: no line breaks or control characters, at most `max` characters. */
export function headerValue(text: string, max = 1024): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
