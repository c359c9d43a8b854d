// ESLint over the whole repository, run by scripts/test.sh before jest with no
// warnings allowed. TypeScript is linted with type information (one program from
// tsconfig.json), so promise rules see which calls return promises.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const typed = ['contract/**/*.ts', 'registry/**/*.ts', 'operator/**/*.ts', 'test/**/*.ts'];
const tests = ['test/**/*.ts', '**/*.test.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'results/**', 'data/**', '.testbed/**', 'registry/ui/dist/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  { files: ['**/*.ts', '**/*.mts'], extends: [tseslint.configs.recommended] },
  {
    files: typed,
    ignores: ['registry/ui/**'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An unused parameter may be named `_x` where a signature needs it (express error middleware).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `async` on a function that does not await is deliberate: it fulfils a
      // promise-returning contract and turns a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // kysely's values come from its CommonJS build (registry/src/metadata/engine/kysely.ts): its ESM build costs 2-3 MiB more resident memory.
    files: ['registry/src/**/*.ts'],
    ignores: ['registry/src/metadata/engine/kysely.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'kysely', message: 'import kysely values from metadata/engine/kysely.ts', allowTypeImports: true }] }],
    },
  },
  {
    // The web UI (registry/ui, bundled by esbuild): browser code, type-checked by its own tsconfig.
    files: ['registry/ui/**/*.ts', 'registry/ui/**/*.tsx'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests read JSON bodies as `any` on purpose, to state their expected shape with expect().
    files: tests,
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
