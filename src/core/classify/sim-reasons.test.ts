/**
 * Every reason the simulator can put into an Event, a container state or a pod status must be in the
 * classification table, or agent tests against the simulator would run on fallback guesses. The
 * simulator's source is scanned rather than imported (core may not import a service); a call whose
 * reason is not a literal must be one of the indirections resolved below, so a new one fails here
 * instead of slipping past.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isKnownReason } from './classify.js';

const SIM_DIR = fileURLToPath(new URL('../../sim/', import.meta.url));

async function simSources(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.set(relative(SIM_DIR, path).split('\\').join('/'), await readFile(path, 'utf8'));
    }
  };
  await walk(SIM_DIR);
  return out;
}

const LITERAL = /^'([A-Za-z]+)'$/;

function literalsIn(expr: string): string[] {
  return [...expr.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1] ?? '');
}

interface Found {
  reasons: Map<string, string[]>;
  unresolved: string[];
}

function scan(sources: Map<string, string>): Found {
  const reasons = new Map<string, string[]>();
  const unresolved: string[] = [];
  const add = (reason: string, where: string) => reasons.set(reason, [...(reasons.get(reason) ?? []), where]);

  // Indirections: the pod worker's #event helper passes on the reasons of its callers (scanned
  // below), the kubelet's node-condition transition events take theirs from nodeConditionText (third
  // element), the job controller's failure events from `failure = { reason }`.
  const indirect: Record<string, (file: string) => string[]> = {
    'controllers/node/pod-worker.ts:reason': (file) => [...(sources.get(file) ?? '').matchAll(/this\.#event\(\s*[^,]+,\s*'(\w+)'/g)].map((m) => m[1] ?? ''),
    'controllers/node/kubelet.ts:reason': () => [...(sources.get('controllers/node/messages.ts') ?? '').matchAll(/\['\w+', '[^']*', '(\w+)'\]/g)].map((m) => m[1] ?? ''),
    'controllers/workloads/job-controller.ts:failure.reason': (file) => [...(sources.get(file) ?? '').matchAll(/failure = \{ reason: '(\w+)'/g)].map((m) => m[1] ?? ''),
  };

  for (const [file, text] of sources) {
    // EventRecorder.record(obj, type, reason, ...) and the pod worker's this.#event(type, reason, ...).
    const calls = [
      ...[...text.matchAll(/\bevents\.record\(\s*[^,()]+(?:\([^()]*\))?,\s*([^,]+),\s*([^,]+),/g)].map((m) => m[2] ?? ''),
      ...[...text.matchAll(/this\.#event\(\s*([^,]+),\s*([^,]+),/g)].map((m) => m[2] ?? ''),
    ];
    const written = (text.match(/\bevents\.record\(/g)?.length ?? 0) + (text.match(/this\.#event\(/g)?.length ?? 0);
    if (calls.length !== written) unresolved.push(`${file}: ${written - calls.length} event call(s) the scan cannot parse`);
    for (const raw of calls) {
      const arg = raw.trim();
      const literal = LITERAL.exec(arg);
      if (literal) {
        add(literal[1] ?? '', file);
        continue;
      }
      const resolve = indirect[`${file}:${arg}`];
      const resolved = resolve ? resolve(file) : [];
      if (resolved.length === 0) unresolved.push(`${file}: event reason ${arg}`);
      for (const r of resolved) add(r, `${file} (via ${arg})`);
    }
    // Container states: waiting and terminated reasons, the pod worker's #exit/#kill, a pod's terminal reason.
    for (const m of text.matchAll(/kind: 'waiting', reason: '(\w+)'/g)) add(m[1] ?? '', file);
    for (const m of text.matchAll(/kind: 'terminated'[^}]*?reason: '(\w+)'/g)) add(m[1] ?? '', file);
    for (const m of text.matchAll(/#terminal = \{ phase: [^}]*?reason: '(\w+)'/g)) add(m[1] ?? '', file);
    for (const m of text.matchAll(/this\.#(?:exit|kill)\(\s*\w+,\s*[^,]+,\s*([^,)]+)/g)) {
      const found = literalsIn(m[1] ?? '');
      if (found.length === 0) unresolved.push(`${file}: container termination reason ${(m[1] ?? '').trim()}`);
      for (const r of found) add(r, file);
    }
  }
  return { reasons, unresolved };
}

describe('simulator reasons', () => {
  it('finds every reason the simulator records, and each is in the classification table', async () => {
    const sources = await simSources();
    expect(sources.size).toBeGreaterThan(20);
    const { reasons, unresolved } = scan(sources);
    expect(unresolved, 'calls whose reason this test cannot resolve: resolve them here').toEqual([]);
    // The scan itself must work: these come from literals, multi-line calls, indirections and states.
    for (const r of ['FailedScheduling', 'BackOff', 'ExternalProvisioning', 'NodeHasDiskPressure', 'NodeNotReady', 'BackoffLimitExceeded', 'DeadlineExceeded', 'CrashLoopBackOff', 'OOMKilled', 'StartError', 'Completed', 'Evicted', 'TaintManagerEviction']) {
      expect(reasons.has(r), `scan missed ${r}`).toBe(true);
    }
    expect(reasons.size).toBeGreaterThan(50);
    const missing = [...reasons].filter(([r]) => !isKnownReason(r)).map(([r, where]) => `${r} (${[...new Set(where)].join(', ')})`);
    expect(missing, 'simulator reasons missing from src/core/classify/event-reasons.ts').toEqual([]);
  });
});
