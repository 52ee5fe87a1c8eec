#!/usr/bin/env node
// The one `aetherius` binary.
//
// The TypeScript sources are bundled by esbuild into .aetherius/build/<stamp>/ on first use, and again
// whenever a source file changes (about a tenth of a second), then run by plain Node. No TypeScript
// loader stays in the process, which keeps resident memory low: the agent's goal is under 128 MB
// (docs/adr/0007-bundled-runtime.md). Code split at dynamic imports, so a command loads only what it
// uses. When the bundle cannot be built, the sources run through tsx's loader instead.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const buildRoot = join(root, '.aetherius', 'build');

/** Newest modification time and count of the sources the bundle is made of. */
function scan(dir, acc = { newest: 0, files: 0 }) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) scan(path, acc);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      acc.newest = Math.max(acc.newest, statSync(path).mtimeMs);
      acc.files++;
    }
  }
  return acc;
}

async function bundled() {
  const { newest, files } = scan(join(root, 'src'));
  const pkg = statSync(join(root, 'package.json')).mtimeMs;
  const stamp = `${Math.floor(Math.max(newest, pkg)).toString(36)}-${files}`;
  const dir = join(buildRoot, stamp);
  const entry = join(dir, 'aetherius.js');
  if (existsSync(entry)) return entry;

  const { build } = await import('esbuild');
  // Several processes may start at once (tests do): each builds into its own directory and the first
  // rename wins; the others use the winner's identical output.
  const tmp = join(buildRoot, `.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await build({
      stdin: { contents: "import { main } from './src/cli/main.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n", resolveDir: root, loader: 'ts', sourcefile: 'aetherius.ts' },
      outdir: tmp,
      entryNames: 'aetherius',
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      if (!existsSync(entry)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const old of readdirSync(buildRoot)) if (old !== stamp && !old.startsWith('.tmp-')) rmSync(join(buildRoot, old), { recursive: true, force: true });
  return entry;
}

let entry;
try {
  entry = await bundled();
} catch (err) {
  process.stderr.write(`aetherius: could not bundle the sources (${err instanceof Error ? err.message : String(err)}); running them through tsx\n`);
}
if (entry) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
