/**
 * `aetherius analyze --dump DIR` and `aetherius analyze -f FILE…`: the root-cause analysis of a cluster
 * one cannot connect to, from a `kubectl cluster-info dump --output-directory DIR --all-namespaces`
 * directory or from `kubectl get … -o json` outputs. Prints the same JSON the API answers
 * (`POST /api/v1/analyze/root-cause`), plus `warnings` for whatever in the input was skipped.
 * Exit 0 with a diagnosis, 1 when nothing stands out or the best cause is below the threshold,
 * 2 when the input or the rules cannot be read.
 */
import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError, ConfigError, errorMessage } from '../contracts/index.js';
import { readClusterDump, readKubectlJsonFiles } from '../adapters/kube-dump/index.js';
import { loadRules } from '../adapters/rules/index.js';
import { createAnalyzer, type Focus } from '../core/rca/index.js';
import { replyOf } from '../core/analysis/index.js';
import { DEFAULT_MIN_CONFIDENCE } from '../contracts/index.js';

export interface AnalyzeCliOptions {
  dump?: string;
  file?: string[];
  /** `Kind/namespace/name` or `Kind/name`: rank causes related to this object first. */
  resource?: string;
  rules?: string;
  minConfidence?: number;
  json?: boolean;
}

function parseFocus(spec: string): Focus {
  const parts = spec.split('/');
  const [kind, a, b] = parts;
  if (!kind || !a || parts.length > 3 || (parts.length === 3 && !b)) {
    throw new InputError(`--resource ${JSON.stringify(spec)}: expected Kind/namespace/name or Kind/name (a cluster-scoped object)`, [{ path: 'resource', message: 'expected Kind/namespace/name or Kind/name' }]);
  }
  return parts.length === 3 ? { kind, namespace: a, name: b ?? '' } : { kind, name: a };
}

export async function runAnalyze(o: AnalyzeCliOptions): Promise<number> {
  try {
    if ((o.dump === undefined) === (o.file === undefined || o.file.length === 0)) {
      throw new InputError('give either --dump DIR or -f FILE… (not both, not neither)', [{ path: 'dump', message: 'exactly one of --dump and -f' }]);
    }
    const focus = o.resource ? parseFocus(o.resource) : undefined;
    const [input, rules] = await Promise.all([o.dump !== undefined ? readClusterDump(o.dump) : readKubectlJsonFiles(o.file ?? []), loadRules(o.rules)]);
    const started = performance.now();
    const result = createAnalyzer(rules)(input.snapshot, focus, { minConfidence: o.minConfidence ?? DEFAULT_MIN_CONFIDENCE });
    const reply = replyOf(`analyze-${randomUUID()}`, result, { tookMs: performance.now() - started, ignored: input.warnings });
    if (o.json) process.stdout.write(`${JSON.stringify(reply)}\n`);
    else process.stdout.write(humanReadable(reply, input.snapshot.objects.length));
    return reply.status === 'completed' ? 0 : 1;
  } catch (err) {
    if (err instanceof InputError || err instanceof NotFoundError || err instanceof ConfigError) {
      process.stderr.write(`aetherius analyze: ${err.message}\n`);
      for (const issue of (err as { issues?: { path: string; message: string }[] }).issues ?? []) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
      return 2;
    }
    process.stderr.write(`aetherius analyze: ${errorMessage(err)}\n`);
    return 2;
  }
}

function humanReadable(reply: ReturnType<typeof replyOf>, objects: number): string {
  const lines: string[] = [];
  const rc = reply.root_cause;
  if (rc) {
    const where = rc.resource ? ` on ${rc.resource.kind} ${rc.resource.namespace ? `${rc.resource.namespace}/` : ''}${rc.resource.name}` : '';
    lines.push(`${reply.status === 'completed' ? 'Root cause' : 'Best guess'}: ${rc.type}${where} (confidence ${rc.confidence.toFixed(2)})`);
    for (const e of rc.evidence) lines.push(`  - ${e}`);
  } else {
    lines.push(`No root cause: ${reply.status === 'partial' ? (reply.error ?? '') : ''}`);
  }
  if (reply.impacted.length) lines.push(`Impacted: ${reply.impacted.map((r) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join(', ')}`);
  if (reply.candidates.length > 1) lines.push(`Candidates: ${reply.candidates.slice(0, 5).map((c) => `${c.type} ${c.confidence.toFixed(2)}`).join(', ')}`);
  const top = reply.recommendations[0];
  if (top) {
    lines.push(`Recommended: ${top.action} (risk ${top.risk}, confidence ${top.confidence.toFixed(2)})${top.impact ? ` — ${top.impact}` : ''}`);
    for (const s of top.steps) lines.push(`  $ ${s}`);
  }
  lines.push(`(${objects} objects read, ${reply.took_ms} ms${reply.ignored?.length ? `, ${reply.ignored.length} warnings` : ''})`);
  return `${lines.join('\n')}\n`;
}
