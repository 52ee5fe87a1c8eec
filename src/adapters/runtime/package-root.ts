/**
 * Where the installed package lives, found by walking up from the calling module to the `package.json`
 * named `aetherius`. Modules must not assume their own depth below the root: the binary runs them from
 * a bundle (bin/aetherius.js), where every module shares one file location.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'aetherius';
let cached: string | undefined;

/**
 * The package's root directory.
 * @throws Error when no `package.json` named `aetherius` is found above this module (a broken install).
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return (cached = dir);
      } catch {
        // an unreadable package.json on the way up is not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A path inside the package, e.g. `packagePath('scenarios')`. */
export function packagePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
