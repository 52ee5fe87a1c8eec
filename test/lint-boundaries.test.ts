/**
 * The dependency direction of STYLE.md is enforced by lint. This proves the rule bites: each forbidden
 * import below is reported, each allowed one is not.
 */
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// A computed specifier: the config is plain JS without type declarations.
const configPath = '../eslint.config.js';
const { default: config } = (await import(configPath)) as { default: Linter.Config[] };
const main = config.find((c) => c.rules?.['aetherius/layers']);

async function violations(file: string, importPath: string): Promise<string[]> {
  if (!main?.rules) throw new Error('eslint.config.js has no aetherius/layers rule');
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: main.plugins,
        rules: { 'aetherius/layers': main.rules['aetherius/layers'] },
      },
    ],
  });
  const [result] = await eslint.lintText(`import { x } from '${importPath}';\nexport const y = x;\n`, { filePath: `${root}${file}` });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('dependency direction lint', () => {
  it.each([
    ['src/contracts/fixture.ts', '../core/targets.js', 'contracts are the bottom layer'],
    ['src/core/fixture.ts', '../adapters/telemetry/metrics.js', 'core may import only contracts'],
    ['src/adapters/fixture.ts', '../manager/manager-service.js', 'adapters may import only contracts and core'],
    ['src/api/fixture.ts', '../manager/manager-service.js', 'services never import each other'],
    ['src/api/deep/fixture.ts', '../../manager/manager-service.js', 'src/api may not import src/manager'],
    ['src/core/fixture.ts', '../adapters/index.js', 'core may import only contracts'],
    ['src/manager/fixture.ts', '../cli/app.js', 'services never import each other or the cli'],
  ])('%s may not import %s', async (file, importPath, why) => {
    const messages = await violations(file, importPath);
    expect(messages.join('\n')).toContain(why);
  });

  it.each([
    ['src/core/fixture.ts', '../contracts/index.js'],
    ['src/adapters/fixture.ts', '../core/targets.js'],
    ['src/manager/fixture.ts', '../adapters/bus/index.js'],
    ['src/cli/fixture.ts', '../manager/manager-service.js'],
  ])('%s may import %s', async (file, importPath) => {
    expect(await violations(file, importPath)).toEqual([]);
  });
});
