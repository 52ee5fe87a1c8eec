// Lint: type-aware TypeScript rules plus the dependency direction of ../shared/STYLE.md:
//   contracts <- core <- adapters <- services (agent, manager, orchestrator, reasoning, api, sim) <- cli
// Services never import each other; they talk through contracts over the bus or the REST API.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const SERVICES = ['agent', 'manager', 'orchestrator', 'reasoning', 'api', 'sim', 'web'];
const LAYERS = ['contracts', 'core', 'adapters', ...SERVICES, 'cli'];

/** Every layer may import only what sits below it. */
function zonesFor(layer) {
  const dir = `./src/${layer}`;
  const forbid = (from, why) => ({ target: dir, from: `./src/${from}`, message: why });
  switch (layer) {
    case 'contracts':
      return LAYERS.filter((l) => l !== 'contracts').map((l) => forbid(l, 'contracts are the bottom layer: no imports from other layers'));
    case 'core':
      return LAYERS.filter((l) => !['contracts', 'core'].includes(l)).map((l) => forbid(l, 'core may import only contracts (pure logic, no I/O)'));
    case 'adapters':
      return [...SERVICES, 'cli'].map((l) => forbid(l, 'adapters may import only contracts and core'));
    case 'cli':
      return [];
    default:
      return [...SERVICES.filter((s) => s !== layer), 'cli'].map((l) =>
        forbid(l, `services never import each other or the cli: talk through contracts over the bus or the REST API`),
      );
  }
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.aetherius/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
      'import-x/no-default-export': 'error',
      'import-x/no-restricted-paths': ['error', { zones: LAYERS.flatMap(zonesFor) }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name='only']", message: 'no .only in committed tests' },
      ],
    },
  },
  {
    // Only the cli reads the environment; everything else gets frozen config injected.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration once in the cli and inject it' }],
    },
  },
  {
    files: ['eslint.config.js', 'vitest.config.ts'],
    rules: { 'import-x/no-default-export': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
