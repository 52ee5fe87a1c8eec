import { describe, expect, it } from 'vitest';
import type { AgentResult } from '../../contracts/index.js';
import { fitResult } from './fit-result.js';

const result = (output: string): AgentResult => ({ schema_version: 1, command_id: 'cmd-1', cluster_id: 'c1', status: 'success', exit_code: 0, output, error: '', execution_time: '1s', timestamp: '2026-01-01T00:00:00Z' });

describe('fitResult', () => {
  it('leaves a result that fits untouched', () => {
    expect(JSON.parse(fitResult(result('hello\n'), 1024))).toEqual(result('hello\n'));
  });

  it('cuts a 1 MiB log whose JSON escaping would exceed the bus limit, with the marker', () => {
    const log = 'ERROR "quoted" \\ path\tline\n'.repeat(40_000); // ~1.1 MB, more once escaped
    const body = fitResult(result(log), 1024 * 1024 - 16 * 1024);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024 - 16 * 1024);
    const parsed = JSON.parse(body) as AgentResult;
    expect(parsed.truncated).toBe(true);
    expect(parsed.output).toContain('[output truncated by aetherius');
    expect(log.startsWith(parsed.output.slice(0, parsed.output.indexOf('\n...')))).toBe(true);
  });
});
