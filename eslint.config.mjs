// Lint and the project's import rules: shared/domain stays pure (no AWS SDK, no I/O, no clock),
// sources and adapters never reach into functions/ or infra/, functions never import infra/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const io = ['node:fs', 'node:fs/promises', 'fs', 'fs/promises', 'node:http', 'node:https', 'http', 'https', 'node:net', 'net', 'node:dns', 'dns', 'node:child_process', 'child_process', 'node:timers/promises'];

/**
 * esbuild cannot tree-shake zod's named `z` (a namespace object re-exported as a value): one
 * `import { z } from 'zod'` puts all of zod, every locale included (≈ 360 KB), in each Lambda
 * bundle; `import * as z from 'zod'` keeps ≈ 90 KB (npm run bench, part 4). Type-only imports are fine.
 */
const zodNamespaceImport = {
  meta: { type: 'problem', messages: { namespace: "write `import * as z from 'zod'`: the named `z` cannot be tree-shaken and adds ≈ 360 KB to every Lambda bundle (bench/README.md, part 4)." } },
  create: (context) => ({
    "ImportDeclaration[source.value='zod']"(node) {
      if (node.importKind === 'type') return;
      for (const s of node.specifiers) {
        if (s.type === 'ImportSpecifier' && s.imported.name === 'z' && s.importKind !== 'type') context.report({ node: s, messageId: 'namespace' });
      }
    },
  }),
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: io.map((name) => ({ name, message: 'shared/domain is pure: no I/O (use a port in shared/app and an adapter).' })),
        patterns: [
          { group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'shared/domain imports no AWS SDK, Powertools, middy or CDK.' },
          { group: ['**/adapters/**', '**/sources/**', '**/app/**', '**/cli/**', '**/functions/**', '**/infra/**'], message: 'dependencies point inward: shared/domain imports only shared/domain (and config types).' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'fetch', message: 'shared/domain does no I/O.' },
        { name: 'setTimeout', message: 'time comes from an injected Clock.' },
        { name: 'setInterval', message: 'time comes from an injected Clock.' },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'time comes from an injected Clock, not new Date().' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'time comes from an injected Clock, not Date.now().' },
      ],
    },
  },
  {
    files: ['shared/sources/**/*.ts', 'shared/adapters/**/*.ts', 'shared/app/**/*.ts', 'shared/config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/functions/**', '**/infra/**', '**/cli/**'], message: 'shared/ never imports functions/, infra/ or the CLI.' }] }],
    },
  },
  {
    files: ['shared/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@aws-sdk/*', '**/adapters/**'], message: 'use cases talk to ports (shared/app/ports.ts), not to adapters or the AWS SDK.' },
        { group: ['**/functions/**', '**/infra/**', '**/cli/**'], message: 'shared/ never imports functions/, infra/ or the CLI.' },
      ] }],
    },
  },
  {
    files: ['functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/infra/**', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'handlers never import the CDK app.' }] }] },
  },
  {
    files: ['**/*.ts'],
    plugins: { dialtone: { rules: { 'zod-namespace-import': zodNamespaceImport } } },
    rules: { 'dialtone/zod-namespace-import': 'error' },
  },
);
