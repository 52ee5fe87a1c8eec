// Lint: type-aware TypeScript rules plus the dependency direction of ../shared/STYLE.md:
//   contracts <- core <- adapters <- services (agent, manager, orchestrator, reasoning, api, sim) <- cli
// enforced by the local rule in eslint/layers-plugin.js; import cycles are checked by
// test/import-cycles.test.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint/layers-plugin.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.aetherius/**', '.scratch/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'eslint/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { aetherius: layersPlugin },
    rules: {
      'aetherius/layers': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'no default exports: name what you export' },
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
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
