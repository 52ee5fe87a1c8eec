/**
 * One agent metrics message as flat samples (metric name, labels, value, time), the shape anomaly
 * detection and Prometheus remote write consume.
 *
 * A collection split into parts (docs/contracts.md, `part`) is handled part by part: pods are divided
 * between the parts, node and namespace metrics travel in part 0 only, and `cluster_metrics`, which
 * every part repeats, is taken from part 0 only. So the parts of one collection yield disjoint samples
 * whose union is exactly what the unsplit message yields, whichever replica handles each part.
 */
import { createHash } from 'node:crypto';
import type { AgentMetrics } from '../../contracts/index.js';
import { METRICS, type EntityKind, type MetricDefinition } from './catalog.js';

export interface EntityRef {
  kind: EntityKind;
  cluster_id: string;
  /** Empty for clusters and nodes. */
  namespace: string;
  /** Cluster id, node name, pod name, or the namespace again. */
  name: string;
  /** Pods: the node they run on (empty while unscheduled). */
  node: string;
}

export interface FlatSample {
  metric: string;
  /** Without `__name__`. */
  labels: Record<string, string>;
  value: number;
  /** Unix milliseconds. */
  t: number;
  /** The entity's id (entityId), as a decimal string. */
  entity: string;
}

/**
 * The stable 64-bit id of an entity: the first 8 bytes of SHA-256 over its identity, as a signed
 * decimal string (a PostgreSQL `bigint`). Deterministic, so every replica computes the same id
 * without asking the database; a collision needs ~4 billion entities to reach even odds.
 */
export function entityId(clusterId: string, kind: EntityKind, namespace: string, name: string): string {
  const digest = createHash('sha256').update(`${clusterId}\u0000${kind}\u0000${namespace}\u0000${name}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/** The identity labels of an entity's series. */
export function entityLabels(e: EntityRef): Record<string, string> {
  switch (e.kind) {
    case 'cluster':
      return { cluster: e.cluster_id };
    case 'node':
      return { cluster: e.cluster_id, node: e.name };
    case 'namespace':
      return { cluster: e.cluster_id, namespace: e.namespace };
    case 'pod':
      return e.node ? { cluster: e.cluster_id, namespace: e.namespace, pod: e.name, node: e.node } : { cluster: e.cluster_id, namespace: e.namespace, pod: e.name };
  }
}

/** Whether this message (or part) carries the collection's cluster-level metrics. */
export function carriesClusterMetrics(msg: Pick<AgentMetrics, 'part'>): boolean {
  return !msg.part || msg.part.index === 0;
}

const BY_ENTITY = (kind: EntityKind): MetricDefinition[] => METRICS.filter((d) => d.entity === kind);
const DEFS: Readonly<Record<EntityKind, MetricDefinition[]>> = { cluster: BY_ENTITY('cluster'), node: BY_ENTITY('node'), pod: BY_ENTITY('pod'), namespace: BY_ENTITY('namespace') };

/** The samples of one record (a row of `node_metrics`, `pod_metrics`, ...) for every metric of its kind. */
export function recordSamples(e: EntityRef, record: Readonly<Record<string, unknown>>, t: number, id = entityId(e.cluster_id, e.kind, e.namespace, e.name)): FlatSample[] {
  const out: FlatSample[] = [];
  const base = entityLabels(e);
  for (const d of DEFS[e.kind]) {
    const raw = record[d.field];
    if (raw === undefined || raw === null) continue;
    switch (d.value) {
      case 'number':
        if (typeof raw === 'number' && Number.isFinite(raw)) out.push({ metric: d.name, labels: base, value: raw, t, entity: id });
        break;
      case 'bool':
        if (typeof raw === 'boolean') out.push({ metric: d.name, labels: base, value: raw ? 1 : 0, t, entity: id });
        break;
      case 'phase':
        if (typeof raw === 'string' && raw !== '') out.push({ metric: d.name, labels: { ...base, phase: raw }, value: 1, t, entity: id });
        break;
      case 'conditions':
        if (typeof raw === 'object') {
          for (const [condition, status] of Object.entries(raw as Record<string, unknown>)) {
            if (status === 'True' || status === 'False') out.push({ metric: d.name, labels: { ...base, condition }, value: status === 'True' ? 1 : 0, t, entity: id });
          }
        }
        break;
    }
  }
  return out;
}

/** Every entity a message reports, with its record. */
export function messageEntities(msg: AgentMetrics): { entity: EntityRef; record: Readonly<Record<string, unknown>> }[] {
  const c = msg.cluster_id;
  const out: { entity: EntityRef; record: Readonly<Record<string, unknown>> }[] = [];
  if (carriesClusterMetrics(msg)) out.push({ entity: { kind: 'cluster', cluster_id: c, namespace: '', name: c, node: '' }, record: msg.cluster_metrics });
  for (const n of msg.node_metrics) out.push({ entity: { kind: 'node', cluster_id: c, namespace: '', name: n.name, node: '' }, record: n });
  for (const p of msg.pod_metrics) out.push({ entity: { kind: 'pod', cluster_id: c, namespace: p.namespace, name: p.name, node: p.node ?? '' }, record: p });
  for (const ns of msg.namespace_metrics) out.push({ entity: { kind: 'namespace', cluster_id: c, namespace: ns.namespace, name: ns.namespace, node: '' }, record: ns });
  return out;
}

/**
 * Every sample of a message (see the module comment for parts).
 * @throws RangeError when the message's timestamp is not a date (the wire schema prevents it).
 */
export function flattenMetrics(msg: AgentMetrics): FlatSample[] {
  const t = Date.parse(msg.timestamp);
  if (!Number.isFinite(t)) throw new RangeError(`metrics message timestamp ${JSON.stringify(msg.timestamp)} is not a date`);
  return messageEntities(msg).flatMap(({ entity, record }) => recordSamples(entity, record, t));
}
