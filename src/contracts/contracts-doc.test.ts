import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { ROOT_CAUSE_TAXONOMY } from './root-cause-taxonomy.js';
import { REMEDIATION_ACTIONS } from './remediation-actions.js';
import { replySchemaForSubject, schemaForSubject } from './bus-messages.js';
import { parseWith } from './validate.js';

const DOC = readFileSync(new URL('../../docs/contracts.md', import.meta.url), 'utf8');

/** Each JSON example in the doc with the `###` heading it sits under. */
function examples(): { heading: string; json: string }[] {
  const found: { heading: string; json: string }[] = [];
  let heading = '';
  for (const [, h, json] of DOC.matchAll(/^### (.+)$|^```json\n([\s\S]*?)^```$/gm)) {
    if (h !== undefined) heading = h;
    else if (json !== undefined) found.push({ heading, json });
  }
  return found;
}

/** The schema a heading documents: "`internal.event.critical`" or "Reply to `ai.reasoning.request`". */
function schemaFor(heading: string) {
  const subject = /`([^`]+)`/.exec(heading)?.[1]?.replace('{cluster_id}', 'prod-us-west');
  if (subject === undefined) return undefined;
  return heading.startsWith('Reply to') ? replySchemaForSubject(subject) : schemaForSubject(subject);
}

describe('docs/contracts.md', () => {
  it('has an example for every subject, and each one is valid', () => {
    const found = examples();
    expect(found.length).toBe(16);
    for (const { heading, json } of found) {
      const schema = schemaFor(heading);
      expect(schema, heading).toBeDefined();
      if (schema) expect(() => parseWith(schema, JSON.parse(json), heading), heading).not.toThrow();
    }
  });

  it('lists every root-cause id and every remediation action in its tables', () => {
    for (const { id, category } of ROOT_CAUSE_TAXONOMY) expect(DOC, id).toContain(`| \`${id}\` | ${category} |`);
    for (const { id } of REMEDIATION_ACTIONS) expect(DOC, id).toContain(`| \`${id}\` |`);
  });
});
