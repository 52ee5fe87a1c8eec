import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, configReferenceMarkdown } from '../src/core/config/index.js';

describe('docs', () => {
  it('docs/configuration.md lists every key with its default and environment variable, as the schema says', async () => {
    const doc = await readFile(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toContain(configReferenceMarkdown());
    for (const key of CONFIG_KEYS) expect(doc).toContain(`\`${key.env}\``);
  });

  it('docs/errors.md lists every error code the code defines', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const sources = await Promise.all(
      ['../src/contracts/errors.ts', '../src/adapters/http/error-handler.ts'].map((p) => readFile(new URL(p, import.meta.url), 'utf8')),
    );
    const codes = new Set(sources.flatMap((s) => [...s.matchAll(/AETHERIUS_E_[A-Z_]+/g)].map((m) => m[0])));
    expect(codes.size).toBeGreaterThan(5);
    for (const code of codes) expect(doc).toContain(`\`${code}\``);
  });
});
