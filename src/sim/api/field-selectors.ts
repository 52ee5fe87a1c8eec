/**
 * The field selector keys each resource accepts, as the real API server registers them: anything else
 * is a 400 `field label not supported: <key>`, instead of a silent empty list. The store's matcher
 * stays generic for internal use; this is the API's gate.
 */
import type { ResourceType } from '../resources.js';
import { StatusError } from '../status-error.js';
import type { FieldSelector } from '../store/selectors.js';

const COMMON = ['metadata.name', 'metadata.namespace'];

const BY_KIND: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'type',
    'source',
    'reportingComponent',
  ],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Secret: ['type'],
  ReplicaSet: ['status.replicas'],
  Job: ['status.successful'],
};

/** Store paths for keys whose selectable value is not the field at that path. */
const STORE_PATH: Record<string, Record<string, string>> = {
  Event: { source: 'source.component' },
};

/**
 * Checks `selector` (already in core/v1 terms) against what `t` supports and rewrites keys to the
 * stored paths they select on.
 * @throws StatusError 400 `field label not supported: <key>`.
 */
export function checkFieldSelector(t: ResourceType, selector: FieldSelector): FieldSelector {
  const allowed = BY_KIND[t.kind] ?? [];
  return selector.map((req) => {
    if (!COMMON.includes(req.path) && !allowed.includes(req.path)) throw StatusError.badRequest(`field label not supported: ${req.path}`);
    const path = STORE_PATH[t.kind]?.[req.path];
    return path ? { ...req, path } : req;
  });
}
