/**
 * ControllerRevisions, as StatefulSets and DaemonSets record their pod templates: one per distinct
 * template, named `<owner>-<hash>`, numbered in `revision`.
 */
import type { KubeObject } from '../../../core/kube/kube-types.js';
import { res } from '../../resources.js';
import type { SimContext } from '../../sim-context.js';
import { isControlledBy, ownerRef, templateHash, type PodTemplate } from './pod-utils.js';

/** Ensures a revision for `template` exists, newest-numbered when it is the current one; returns its name. */
export function ensureControllerRevision(ctx: SimContext, owner: KubeObject, template: PodTemplate | undefined): string {
  const namespace = owner.metadata.namespace ?? 'default';
  const hash = templateHash(template ?? {});
  const name = `${owner.metadata.name}-${hash}`;
  const revisions = ctx.store.list(res('controllerrevisions.apps'), { namespace }).items.filter((r) => isControlledBy(r, owner));
  const max = Math.max(0, ...revisions.map((r) => (typeof r['revision'] === 'number' ? r['revision'] : 0)));
  const existing = revisions.find((r) => r.metadata.name === name);
  if (existing) {
    if ((existing['revision'] as number | undefined) !== max && revisions.length > 1) {
      const latest = revisions.reduce((a, b) => ((a['revision'] as number) >= (b['revision'] as number) ? a : b));
      if (latest.metadata.name !== name) ctx.store.mutate(res('controllerrevisions.apps'), namespace, name, (r) => { r['revision'] = max + 1; });
    }
    return name;
  }
  ctx.store.create(res('controllerrevisions.apps'), {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name, namespace, labels: { ...(template?.metadata?.labels ?? {}), 'controller.kubernetes.io/hash': hash }, ownerReferences: [ownerRef(owner)] },
    data: { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } },
    revision: max + 1,
  });
  return name;
}
