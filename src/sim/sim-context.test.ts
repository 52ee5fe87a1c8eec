import { describe, expect, it } from 'vitest';
import { LogStore } from './sim-context.js';

describe('LogStore', () => {
  it('keeps only the current and the previous instance of each container', () => {
    const logs = new LogStore();
    for (let instance = 0; instance < 50; instance++) logs.append('shop', 'web', 'app', instance, { time: instance, text: `run ${instance}` });
    logs.append('shop', 'web', 'sidecar', 0, { time: 0, text: 'sidecar' });
    expect(logs.read('shop', 'web', 'app', 49)?.map((l) => l.text)).toEqual(['run 49']);
    expect(logs.read('shop', 'web', 'app', 48)?.map((l) => l.text)).toEqual(['run 48']);
    expect(logs.read('shop', 'web', 'app', 47)).toBeUndefined();
    expect(logs.read('shop', 'web', 'sidecar', 0)?.map((l) => l.text)).toEqual(['sidecar']);
    expect(logs.instanceCount).toBe(3);
    logs.dropPod('shop', 'web');
    expect(logs.instanceCount).toBe(0);
  });
});
