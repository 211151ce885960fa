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
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
