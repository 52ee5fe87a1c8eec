#!/usr/bin/env node
// The one `aetherius` binary. TypeScript sources run through tsx's loader so that a fresh
// `npm ci` is all it takes (see docs/adr/0003-layout-and-runtime.md).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
