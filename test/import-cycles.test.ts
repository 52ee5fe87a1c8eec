/**
 * No import cycles in src/: a cycle makes start-up order fragile and hides a layer problem. Type-only
 * imports are erased at run time and do not count.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

/** Runtime imports and re-exports with relative specifiers, resolved to .ts files. */
function runtimeImports(file: string, text: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const typeOnly = Boolean(m[2]) || /^\{\s*(type\s+[^,}]+,?\s*)+\}$/.test(m[3]?.trim() ?? '');
    if (typeOnly || !m[4]) continue;
    out.push(path.resolve(path.dirname(file), m[4].replace(/\.js$/, '.ts')));
  }
  for (const m of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) if (m[1]) out.push(path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('import graph', () => {
  it('finds a cycle when there is one (the check itself works)', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toBeUndefined();
  });

  it('has no runtime import cycles in src/', async () => {
    const files = await sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(20);
    const graph = new Map<string, string[]>();
    for (const file of files) graph.set(file, runtimeImports(file, await readFile(file, 'utf8')));
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => path.relative(SRC, f))).toBeUndefined();
  });
});
