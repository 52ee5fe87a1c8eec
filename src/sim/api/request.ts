/**
 * Request plumbing for the simulated API server: bodies with a size limit, content types, and the
 * Accept header's `as=Table` / `as=PartialObjectMetadata` negotiation.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { StatusError } from '../status-error.js';

/** The real API server's limit on a request body (3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Reads the whole body. Over `limit` the rest is drained (so the client reads the answer) and the
 * request fails.
 * @throws StatusError 413 over the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The body of a create or update: JSON (or YAML, which the real server also takes).
 * @throws StatusError 415 for another content type, 400 for a body that does not parse or is not an object.
 */
export function parseObjectBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const media = mediaType(contentType);
  let value: unknown;
  if (media === '' || media === 'application/json' || media === '*/*') value = parseJson(raw);
  else if (media === 'application/yaml') {
    try {
      value = parseYaml(raw.toString('utf8'));
    } catch (err) {
      throw StatusError.badRequest(`the body of the request is not valid YAML: ${(err as Error).message}`);
    }
  } else {
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw StatusError.badRequest('the body of the request must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** @throws StatusError 400 for text that is not JSON. */
export function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!text.trim()) throw StatusError.badRequest('the body of the request is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw StatusError.badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
}

export type Rendering = { as: 'Object' } | { as: 'Table'; version: 'v1' | 'v1beta1' } | { as: 'PartialObjectMetadata'; version: 'v1' | 'v1beta1' };

/** What the Accept header asks for, first acceptable media range first. */
export function negotiate(accept: string | undefined): Rendering {
  for (const range of (accept ?? '').split(',')) {
    const [media = '', ...params] = range.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (p['as'] === undefined) {
      if (media === 'application/json' || media === '*/*' || media === 'application/*') return { as: 'Object' };
      continue;
    }
    if (p['g'] !== 'meta.k8s.io' || (p['v'] !== 'v1' && p['v'] !== 'v1beta1')) continue;
    if (p['as'] === 'Table') return { as: 'Table', version: p['v'] };
    if (p['as'] === 'PartialObjectMetadata' || p['as'] === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', version: p['v'] };
  }
  return { as: 'Object' };
}
