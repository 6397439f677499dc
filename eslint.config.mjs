// Lint rules for the whole repo: typescript-eslint's recommended set, plus the engine boundary
// (src/core must never import vscode: it runs under plain Node for the CLI, the worker, tests and benchmarks).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', '.bench/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/worker/**/*.ts', 'src/cli/**/*.ts', 'src/bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The engine runs without VS Code.' }] }],
    },
  },
  {
    // The engine is given a job runner; it never imports the runtime around it (scripts/check-imports.mjs checks
    // the same and more: cycles, layers, no tfjs on the host side).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The engine runs without VS Code.' }],
          patterns: [{ group: ['**/worker/*', '**/extension/*', '**/cli/*', '**/bench/*'], message: 'The engine imports nothing from the runtime around it (src/worker, src/extension, src/cli, src/bench): it is given a JobRunner.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
  },
);
