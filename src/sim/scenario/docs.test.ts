import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FAULT_ACTIONS, faultSchema } from './schema.js';
import { parseScenario } from './validate.js';

const doc = await readFile(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8');

describe('docs/scenarios.md', () => {
  it('has one full, valid example per fault action, under its own heading', () => {
    for (const action of FAULT_ACTIONS) {
      const section = doc.split(`### \`${action}\`\n`)[1]?.split('\n### ')[0] ?? '';
      const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
      expect(yaml, `an example for ${action}`).toBeDefined();
      const [fault] = parse(yaml ?? '') as unknown[];
      const parsed = faultSchema.safeParse(fault);
      expect(parsed.success ? parsed.data.action : parsed.error.message, action).toBe(action);
      expect(parsed.success && parsed.data.target, `${action} example has a target`).toBeTruthy();
    }
  });

  it('has a complete example that validates', () => {
    const section = doc.split('## A complete example\n')[1] ?? '';
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(parseScenario(yaml, 'docs/scenarios.md').metadata.name).toBe('checkout-oom');
  });
});
