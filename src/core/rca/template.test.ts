import { describe, expect, it } from 'vitest';
import { renderTemplate } from './template.js';

describe('renderTemplate', () => {
  it('fills fields and drops optional parts whose fields are missing', () => {
    const t = 'container {container} terminated with reason {reason}, exit code {exit_code}[, {restarts} restarts in {span}][; memory limit {memory_limit}]';
    expect(renderTemplate(t, { container: 'app', reason: 'OOMKilled', exit_code: 137, restarts: 6, span: '9m', memory_limit: '128Mi' })).toBe('container app terminated with reason OOMKilled, exit code 137, 6 restarts in 9m; memory limit 128Mi');
    expect(renderTemplate(t, { container: 'app', reason: 'OOMKilled', exit_code: 137, restarts: 6 })).toBe('container app terminated with reason OOMKilled, exit code 137');
  });
  it('keeps brackets without placeholders and marks a missing required field', () => {
    expect(renderTemplate("kubectl get pod -o jsonpath='{.spec.containers[*].name}' {name}", { name: 'x' })).toBe("kubectl get pod -o jsonpath='{.spec.containers[*].name}' x");
    expect(renderTemplate('scale to {replicas}', {})).toBe('scale to ?');
    expect(renderTemplate('ready {n}', { n: 0 })).toBe('ready 0');
  });
});
