// Type-checked lint for every project, plus Nx's module boundaries on two tag axes:
// type:* (what a project is) and scope:* (who may use it). A forbidden import fails lint.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const KUBERNETES_CLIENT = ['@kubernetes/client-node'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '.nx/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // contracts import nothing of the project.
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:none'] },
            // The source policy (which addresses a source may use) imports only node:net.
            { sourceTag: 'type:policy', onlyDependOnLibsWithTags: ['type:none'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts', 'type:policy'] },
            { sourceTag: 'type:executor', onlyDependOnLibsWithTags: ['type:contracts', 'type:data-access', 'type:domain', 'type:executor'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:data-access', 'type:domain', 'type:executor', 'type:policy'] },
            // The gateway and the runner never touch Kubernetes, neither its client nor Ferry's Kubernetes code.
            { sourceTag: 'scope:gateway', notDependOnLibsWithTags: ['scope:kubernetes'], bannedExternalImports: KUBERNETES_CLIENT },
            { sourceTag: 'scope:runner', notDependOnLibsWithTags: ['scope:kubernetes'], bannedExternalImports: KUBERNETES_CLIENT },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: KUBERNETES_CLIENT },
            { sourceTag: 'scope:kubernetes', onlyDependOnLibsWithTags: ['scope:shared', 'scope:kubernetes'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Nest's DI needs classes that are only used for their metadata.
    files: ['apps/gateway/src/**/*.ts'],
    rules: { '@typescript-eslint/no-extraneous-class': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
