/**
 * Discovery documents: `/version`, `/api`, `/apis`, `/apis/<group>`, and the APIResourceList of each
 * group version, built from the RESOURCES registry plus policy/v1 PodDisruptionBudgets: `kubectl drain`
 * only evicts when the server has the policy group, and discovery clients reject an empty group; and
 * core/v1 ReplicationControllers: `kubectl cluster-info dump` lists them in every namespace and stops
 * at the first list that fails.
 */
import { RESOURCES, apiGroups, findResource, type ResourceType } from '../resources.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '29',
  gitVersion: 'v1.29.0-aetherius-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-01-01T00:00:00Z',
  goVersion: 'go1.21.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Served in addition to RESOURCES (stored like any other resource, no controller acts on them). */
const EXTRA_RESOURCES: readonly ResourceType[] = [
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'replicationcontrollers',
    singular: 'replicationcontroller',
    kind: 'ReplicationController',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status'],
  },
];

const SERVED: readonly ResourceType[] = [...RESOURCES, ...EXTRA_RESOURCES];

/** The served resource for a URL's group, version and plural. */
export function lookupResource(group: string, version: string, resource: string): ResourceType | undefined {
  return findResource(group, version, resource) ?? EXTRA_RESOURCES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

function allGroups(): { name: string; versions: string[] }[] {
  const groups = apiGroups();
  for (const t of EXTRA_RESOURCES) if (t.group && !groups.some((g) => g.name === t.group)) groups.push({ name: t.group, versions: [t.version] });
  return groups;
}

function groupDoc(g: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiVersionsDoc(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupListDoc(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: allGroups().map(groupDoc) };
}

export function apiGroupDoc(group: string): Record<string, unknown> | undefined {
  const g = allGroups().find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

export function isServedGroupVersion(group: string, version: string): boolean {
  if (group === '') return version === 'v1';
  return allGroups().some((g) => g.name === group && g.versions.includes(version));
}

interface SubresourceInfo {
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

export function subresourceInfo(t: ResourceType, sub: string): SubresourceInfo {
  switch (sub) {
    case 'status':
      return { kind: t.kind, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' };
    case 'log':
      return { kind: 'Pod', verbs: ['get'] };
    case 'eviction':
      return { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' };
    case 'binding':
      return { kind: 'Binding', verbs: ['create'] };
    default:
      return { kind: t.kind, verbs: ['get'] };
  }
}

export function resourceListDoc(group: string, version: string): Record<string, unknown> {
  const groupVersion = group ? `${group}/${version}` : version;
  const resources: Record<string, unknown>[] = [];
  for (const t of SERVED.filter((r) => r.group === group && r.version === version)) {
    resources.push({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
    });
    for (const sub of t.subresources ?? []) {
      const info = subresourceInfo(t, sub);
      resources.push({
        name: `${t.resource}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        ...(info.group !== undefined ? { group: info.group, version: info.version } : {}),
        kind: info.kind,
        verbs: info.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
