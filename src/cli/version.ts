import { readFileSync } from 'node:fs';
import { packagePath } from '../adapters/runtime/package-root.js';

export interface VersionInfo {
  version: string;
  node: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return { version: pkg.version, node: process.version, platform: `${process.platform}/${process.arch}` };
}

export function runVersion(options: { json?: boolean }): number {
  const info = versionInfo();
  process.stdout.write(options.json ? `${JSON.stringify(info)}\n` : `aetherius ${info.version} (node ${info.node}, ${info.platform})\n`);
  return 0;
}
