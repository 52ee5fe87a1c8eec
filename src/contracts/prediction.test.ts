import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { InputError } from './errors.js';
import { predictRequest, predictResponse, predictionWindowFor, type Prediction } from './prediction.js';
import { parseWith } from './validate.js';

function issuesOf(schema: z.ZodType, input: unknown): InputError['issues'] {
  try {
    parseWith(schema, input, 'request body');
  } catch (err) {
    if (err instanceof InputError) return err.issues;
    throw err;
  }
  throw new Error('expected an InputError');
}

const T = Date.UTC(2025, 8, 30, 10);

const prediction = (over: Partial<Prediction> = {}): Prediction => ({
  type: 'MemoryLeak',
  resource: { kind: 'Pod', name: 'checkout-7d9f8b6c4-x2x9k', namespace: 'shop' },
  metric: 'container_memory_working_set_bytes',
  labels: { namespace: 'shop', pod: 'checkout-7d9f8b6c4-x2x9k', container: 'app' },
  time_to_event_s: 360,
  predicted_at: T + 360_000,
  window: 'short',
  confidence: 0.7,
  evidence: ['memory of container app grows 5 MiB/min; 128 MiB memory limit reached in ~6m'],
  model: 'theil-sen',
  ...over,
});

describe('predictRequest', () => {
  it('needs only a cluster and defaults the horizon to 24h', () => {
    expect(parseWith(predictRequest, { cluster_id: 'prod-us-west' }, 'request body')).toEqual({ cluster_id: 'prod-us-west', horizon: '24h' });
  });

  it('takes a namespace, a resource, a time and inline series', () => {
    const body = {
      cluster_id: 'prod-us-west',
      namespace: 'shop',
      resource: { kind: 'Pod', name: 'checkout-7d9f8b6c4-x2x9k', namespace: 'shop' },
      horizon: '1h30m',
      at: '2025-09-30T10:00:00Z',
      series: [{ name: 'container_memory_working_set_bytes', labels: { namespace: 'shop' }, samples: [[T, 1.5e8]] }],
    };
    expect(parseWith(predictRequest, body, 'request body')).toEqual(body);
  });

  it('names the field of each problem', () => {
    expect(issuesOf(predictRequest, {}).map((i) => i.path)).toEqual(['cluster_id']);
    expect(issuesOf(predictRequest, { cluster_id: 'a.b' })[0]?.message).toMatch(/letters, digits/);
    for (const horizon of ['48h', '0s', '24h1s']) {
      expect(issuesOf(predictRequest, { cluster_id: 'c', horizon }), horizon).toEqual([{ path: 'horizon', message: expect.stringContaining('at most 24h') as unknown }]);
    }
    expect(issuesOf(predictRequest, { cluster_id: 'c', horizon: 'soon' })[0]).toMatchObject({ path: 'horizon', message: expect.stringContaining('duration') as unknown });
    expect(issuesOf(predictRequest, { cluster_id: 'c', namespace: 'shop', resource: { kind: 'Pod', name: 'p', namespace: 'other' } })).toEqual([
      { path: 'namespace', message: 'must be the namespace of resource when both are given' },
    ]);
    expect(issuesOf(predictRequest, { cluster_id: 'c', resource: { kind: '', name: 'p' } })).toEqual([{ path: 'resource.kind', message: 'must not be empty' }]);
  });

  it('checks inline series: metric names, and samples as [ms, value] pairs of numbers', () => {
    const issues = issuesOf(predictRequest, {
      cluster_id: 'c',
      series: [
        { name: 'bad name', samples: [] },
        { name: 'ok', samples: [[T, 'x'], [T], [-1, 2]] },
      ],
    });
    expect(issues).toEqual([
      { path: 'series.0.name', message: 'must be a metric name such as pod_memory_usage_bytes' },
      { path: 'series.1.samples.0.1', message: 'must be a finite number' },
      { path: 'series.1.samples.1', message: 'must be [ms since the epoch, value]' },
      { path: 'series.1.samples.2.0', message: 'must be a time in ms since the epoch' },
    ]);
  });
});

describe('predictResponse', () => {
  it('accepts predictions soonest first', () => {
    const later = prediction({ type: 'DiskFull', time_to_event_s: 7200, predicted_at: T + 7_200_000, window: 'medium', model: 'holt-winters' });
    expect(() => parseWith(predictResponse, { predictions: [prediction(), later], evaluated_series: 12 }, 'response')).not.toThrow();
    expect(issuesOf(predictResponse, { predictions: [later, prediction()], evaluated_series: 12 })).toEqual([
      { path: 'predictions', message: 'must be ordered by time_to_event_s, soonest first' },
    ]);
  });

  it('refuses a window that does not match the time to the event, and ids outside the taxonomy', () => {
    expect(issuesOf(predictResponse, { predictions: [prediction({ window: 'medium' })], evaluated_series: 1 }).map((i) => i.path)).toEqual(['predictions.0.window']);
    expect(issuesOf(predictResponse, { predictions: [prediction({ confidence: 1.5, type: 'RestartStorm' as Prediction['type'] })], evaluated_series: 1 }).map((i) => i.path)).toEqual([
      'predictions.0.type',
      'predictions.0.confidence',
    ]);
  });
});

describe('predictionWindowFor', () => {
  it('puts events up to 30 minutes in the short window and up to 24 hours in the medium one', () => {
    expect(predictionWindowFor(0)).toBe('short');
    expect(predictionWindowFor(1800)).toBe('short');
    expect(predictionWindowFor(1801)).toBe('medium');
    expect(predictionWindowFor(45 * 60)).toBe('medium');
    expect(predictionWindowFor(86_400)).toBe('medium');
    expect(predictionWindowFor(86_401)).toBeUndefined();
    expect(predictionWindowFor(-1)).toBeUndefined();
    expect(predictionWindowFor(Number.NaN)).toBeUndefined();
  });
});
