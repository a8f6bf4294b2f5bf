// ESLint 9 flat config: typescript-eslint's type-checked rules (floating promises,
// unsafe any) and the React hooks rules over the TypeScript sources and tests;
// the plain recommended rules over the few JavaScript files.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/', 'node_modules/'] },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended]
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [
      js.configs.recommended,
      ...tseslint.configs.recommendedTypeChecked,
      reactHooks.configs.flat['recommended-latest']
    ],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      // Parameters a signature needs but the body does not use start with "_".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      eqeqeq: ['error', 'smart'],
      curly: ['error', 'all']
    }
  }
);
