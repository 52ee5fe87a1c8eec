/**
 * `aetherius analyze` as a user runs it: on a directory shaped exactly like a real
 * `kubectl cluster-info dump` (test/fixtures/cluster-dump-real-style, not made by the simulator), on
 * `kubectl get -o json` files, and on bad input.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const DUMP = 'test/fixtures/cluster-dump-real-style';

describe('aetherius analyze', () => {
  it('diagnoses a real-style cluster dump, JSON in the API reply shape, exit 0', { timeout: 60_000 }, async () => {
    const r = await runCli(['analyze', '--dump', DUMP, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const reply = JSON.parse(r.stdout) as { status: string; root_cause: { type: string; confidence: number; evidence: string[]; resource: unknown }; recommendations: { action: string }[] };
    expect(reply.status).toBe('completed');
    expect(reply.root_cause.type).toBe('OOMKilled');
    expect(reply.root_cause.resource).toEqual({ kind: 'Deployment', namespace: 'payments', name: 'payment-api' });
    expect(reply.root_cause.evidence[0]).toMatch(/OOMKilled, exit code 137/);
    expect(reply.recommendations[0]?.action).toBe('UpdateResourceLimits');
  });

  it('reads kubectl get -o json files, and a person can read the text answer', { timeout: 60_000 }, async () => {
    const r = await runCli(['analyze', '-f', join(DUMP, 'payments', 'pods.json'), join(DUMP, 'payments', 'events.json'), join(DUMP, 'payments', 'deployments.json'), join(DUMP, 'payments', 'replicasets.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Root cause: OOMKilled on Deployment payments\/payment-api \(confidence 0\.\d\d\)/);
    expect(r.stdout).toContain('Recommended: UpdateResourceLimits');
  });

  it('refuses bad input with the file and the problem, exit 2', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aet-analyze-'));
    try {
      const bad = join(dir, 'pods.json');
      await writeFile(bad, '{"kind": "PodList", "items": [');
      const r = await runCli(['analyze', '-f', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('pods.json');
      const neither = await runCli(['analyze']);
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain('--dump');
      const focus = await runCli(['analyze', '--dump', DUMP, '--resource', 'Deployment/a/b/c']);
      expect(focus.code).toBe(2);
      expect(focus.stderr).toContain('--resource');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
