import { describe, expect, it } from 'vitest';
import { silentLogger } from '../telemetry/logger.js';
import { createBus } from './create-bus.js';

describe('createBus', () => {
  it('returns the in-process bus when no URL is configured', async () => {
    for (const url of [undefined, '', ' ']) {
      const bus = await createBus({ url }, { logger: silentLogger() });
      expect(bus.kind).toBe('memory');
      await bus.close();
    }
  });
});
