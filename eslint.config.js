// Lint for TypeScript with type information (typescript-eslint's recommendedTypeChecked): it catches what the
// compiler lets through, such as a promise nobody awaits or handles, or `any` leaking out of a parsed input.
// A rule is switched off only with a comment saying why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/.work/', 'coverage/', 'test-results/', 'data/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // Leaving fields out of a copy with an object rest (`const { author: _a, ...rest } = item`) names the fields
      // dropped; those names are unused by design. Every other unused variable is still an error.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
