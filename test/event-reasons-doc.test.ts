import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { eventReasonsMarkdown, listReasons } from '../src/core/classify/index.js';

const REGENERATE = `npx tsx -e "import('./src/core/classify/index.ts').then((m) => process.stdout.write(m.eventReasonsMarkdown()))" > docs/event-reasons.md`;

describe('docs/event-reasons.md', () => {
  it('is exactly what the classification table generates', async () => {
    const doc = await readFile(new URL('../docs/event-reasons.md', import.meta.url), 'utf8');
    expect(doc === eventReasonsMarkdown(), `docs/event-reasons.md is out of date; regenerate it with:\n  ${REGENERATE}`).toBe(true);
  });

  it('lists every reason with its severity', () => {
    const doc = eventReasonsMarkdown();
    for (const e of listReasons()) expect(doc).toContain(`| \`${e.reason}\` | ${e.severity} | ${e.source} |`);
  });
});
