import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../contracts/errors.js';
import { SCENARIO_DIR, listScenarios, loadScenario, scenarioPath } from './library.js';

describe('scenario library', () => {
  it('finds <repo>/scenarios and every built-in scenario in it validates', async () => {
    expect(SCENARIO_DIR).toMatch(/\/scenarios\/?$/);
    const entries = await listScenarios();
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.scenario.metadata.name, e.file).toBe(e.name);
  });

  it('loads a scenario by name or by path', async () => {
    const [first] = await listScenarios();
    if (!first) throw new Error('scenarios/ is empty');
    expect((await loadScenario(first.name)).scenario.metadata.name).toBe(first.name);
    expect((await loadScenario(first.file)).file).toBe(first.file);
    expect(scenarioPath('checkout-oom')).toBe(`${SCENARIO_DIR.replace(/\/$/, '')}/checkout-oom.yaml`);
  });

  it('an unknown name is NotFound and lists the built-in names', async () => {
    const err = await loadScenario('no-such-scenario').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('built-in scenarios:');
  });
});
