import { describe, expect, it } from 'vitest';
import type { KubeObject } from './kube-types.js';
import { DESCRIBE_TABS, asPrintable, humanDuration, renderNames, renderTable, renderTopNodes, renderTopPods, renderYaml, tabwrite, redactConfigData } from './render.js';

function obj(kind: string, name: string, extra: Record<string, unknown> = {}, ns?: string): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, uid: name, resourceVersion: '1', creationTimestamp: '2025-01-01T00:00:00Z', ...(ns ? { namespace: ns } : {}) }, ...extra };
}

describe('tabwrite', () => {
  it('aligns column blocks like Go text/tabwriter: only consecutive lines with the cell share a width', () => {
    const text = ['Name:\tweb', 'Namespace:\tshop', 'Containers:', '  app:', '    Image:\tnginx', '    Restart Count:\t5'].join('\n');
    expect(tabwrite(text, DESCRIBE_TABS)).toBe(['Name:       web', 'Namespace:  shop', 'Containers:', '  app:', '    Image:          nginx', '    Restart Count:  5'].join('\n'));
  });

  it('pads to the minimum width and never pads the last cell', () => {
    expect(tabwrite('A\tB\nlonger\tx', { minWidth: 6, padding: 3 })).toBe('A        B\nlonger   x');
  });
});

describe('humanDuration', () => {
  it('prints ages as kubectl does', () => {
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(330_000)).toBe('5m30s');
    expect(humanDuration(3 * 3_600_000)).toBe('3h');
    expect(humanDuration(52 * 3_600_000)).toBe('2d4h');
    expect(humanDuration(-5000)).toBe('<invalid>');
  });
});

describe('renderTable', () => {
  it('upper-cases headers, hides priority columns unless wide, prints null cells as <none>', () => {
    const table = { columnDefinitions: [{ name: 'Name', type: 'string' }, { name: 'Nominated Node', type: 'string', priority: 1 }, { name: 'Age', type: 'string' }], rows: [{ cells: ['web-0', null, '5m'] }] };
    expect(renderTable(table)).toBe('NAME    AGE\nweb-0   5m');
    expect(renderTable(table, { wide: true })).toBe('NAME    NOMINATED NODE   AGE\nweb-0   <none>           5m');
    expect(renderTable({ ...table, rows: [] })).toBeUndefined();
  });

  it('keeps a cell with a tab or newline on one line', () => {
    expect(renderTable({ columnDefinitions: [{ name: 'Message', type: 'string' }], rows: [{ cells: ['a\tb\nc'] }] })).toBe('MESSAGE\na b c');
  });
});

describe('printing objects', () => {
  it('prints names with the group, and lists as kubectl List without managedFields', () => {
    expect(renderNames([obj('Deployment', 'web')], 'apps', 'Deployment')).toBe('deployment.apps/web\n');
    const base = obj('Pod', 'a', {}, 'shop');
    const withFields = { ...base, metadata: { ...base.metadata, managedFields: [{ manager: 'x' }] } } as KubeObject;
    const printable = asPrintable([withFields], 'v1', 'Pod');
    expect(printable).toMatchObject({ apiVersion: 'v1', kind: 'List', items: [{ metadata: { name: 'a' } }] });
    expect(JSON.stringify(printable)).not.toContain('managedFields');
    expect(renderYaml({ a: 1 })).toBe('a: 1\n');
  });

  it('prints top pods, per container, and top nodes with percentages of allocatable', () => {
    const pm = (name: string, cpu: string, mem: string) => obj('PodMetrics', name, { containers: [{ name: 'app', usage: { cpu, memory: mem } }, { name: 'sidecar', usage: { cpu: '5m', memory: '1Mi' } }] }, 'shop');
    const pods = [pm('web-1', '250000000n', '128Mi'), pm('web-0', '10m', '64Mi')];
    expect(renderTopPods(pods)).toBe('NAME    CPU(cores)   MEMORY(bytes)\nweb-0   15m          65Mi\nweb-1   255m         129Mi');
    expect(renderTopPods(pods, { containers: true })?.split('\n')[1]).toBe('web-0   app       10m          64Mi');
    const nodes = [obj('Node', 'node-1', { status: { allocatable: { cpu: '4', memory: '16Gi' } } }), obj('Node', 'node-2', { status: { allocatable: { cpu: '4', memory: '16Gi' } } })];
    expect(renderTopNodes([obj('NodeMetrics', 'node-1', { usage: { cpu: '1', memory: '4Gi' } })], nodes)).toBe(
      'NAME     CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%\nnode-1   1000m        25%         4096Mi          25%\nnode-2   <unknown>    <unknown>   <unknown>       <unknown>',
    );
  });
});

describe('redactConfigData', () => {
  it('keeps a ConfigMap’s keys and replaces its values with their size; leaves other kinds alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db', namespace: 'shop', uid: 'u', resourceVersion: '1', creationTimestamp: '' }, data: { DB_URL: 'postgres://app:s3cret@db/shop' }, binaryData: { cert: 'AAEC' } };
    const out = redactConfigData(cm);
    expect(out['data']).toEqual({ DB_URL: '<redacted: 29 bytes>' });
    expect(out['binaryData']).toEqual({ cert: '<redacted: 4 bytes>' });
    expect(JSON.stringify(asPrintable(cm, 'v1', 'ConfigMap'))).not.toContain('s3cret');
    const pod = { ...cm, kind: 'Pod' };
    expect(redactConfigData(pod)).toBe(pod);
  });
});
