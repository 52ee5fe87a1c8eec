import { describe, expect, it } from 'vitest';
import { parseKubectlOutput } from './parse-kubectl-output.js';

describe('parseKubectlOutput', () => {
  it('splits stdout of kubectl cluster-info dump into documents and log blocks, JSON log lines included', () => {
    const text = [
      '{"kind":"NodeList","apiVersion":"v1","items":[]}',
      '{',
      '  "kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"name": "a {b} \\"c\\""}}]',
      '}',
      '==== START logs for container app of pod shop/a ====',
      '{"level":"error","msg":"boom"}',
      '==== END logs for container app of pod shop/a ====',
      '{"kind":"EventList","apiVersion":"v1","items":[]}',
    ].join('\n');
    const out = parseKubectlOutput(text, 'dump.txt');
    expect(out.documents.map((d) => (d as { kind: string }).kind)).toEqual(['NodeList', 'PodList', 'EventList']);
    expect(out.logLines).toEqual(['==== START logs for container app of pod shop/a ====', '{"level":"error","msg":"boom"}', '==== END logs for container app of pod shop/a ====']);
  });

  it('names the file, line and column of a syntax error, and refuses text that is not JSON', () => {
    expect(() => parseKubectlOutput('{\n  "kind": "PodList",\n  "items": [,]\n}', 'pods.json')).toThrow(/pods\.json: not JSON: .*line 3 column/);
    expect(() => parseKubectlOutput('NAME   READY   STATUS\napi-1  1/1     Running\n', 'table.txt')).toThrow(/table\.txt: not JSON: unexpected "NAME {3}READY" where JSON should start at line 1 column 1/);
    expect(() => parseKubectlOutput('   \n', 'empty.json')).toThrow(/empty\.json: .*empty/);
    expect(() => parseKubectlOutput('{"kind":"PodList","items":[', 'cut.json')).toThrow(/cut\.json: not JSON/);
  });

  it('reads a file that starts with a UTF-8 byte-order mark', () => {
    expect(parseKubectlOutput('\ufeff{"kind":"PodList","items":[]}', 'bom.json').documents).toHaveLength(1);
  });
});
