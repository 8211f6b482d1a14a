// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', '.tools/**', 'media/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: 'CallExpression[callee.object.name="describe"][callee.property.name=/^(only|skip)$/]', message: 'No .only/.skip in committed tests.' },
        { selector: 'CallExpression[callee.object.name="it"][callee.property.name=/^(only|skip)$/]', message: 'No .only/.skip in committed tests.' },
      ],
    },
  },
  {
    // The libvirt layer knows libvirt and nothing about VS Code (DEVELOPERS.md: layers).
    files: ['src/libvirt/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/libvirt must not import vscode.' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
