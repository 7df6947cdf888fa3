import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Workspace packages are symlinks in node_modules, which Vitest would hand to Node (and so to their
// built dist/); inlined, they go through Vite with the `@ferry/source` condition: tests run the sources.
const sources = { deps: { inline: [/@ferry\//] } };

// SWC, not esbuild, transforms the tests: Nest's DI and class-validator need decorator metadata.
const decorators = swc.vite({
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
  },
  module: { type: 'es6' },
});

export default defineConfig({
  resolve: { conditions: ['@ferry/source'] },
  test: {
    globals: true,
    projects: [
      {
        plugins: [decorators],
        resolve: { conditions: ['@ferry/source'] },
        ssr: { resolve: { conditions: ['@ferry/source'] } },
        test: { name: 'unit', globals: true, server: sources, include: ['{apps,libs}/*/src/**/*.spec.ts'] },
      },
      {
        plugins: [decorators],
        resolve: { conditions: ['@ferry/source'] },
        ssr: { resolve: { conditions: ['@ferry/source'] } },
        test: {
          name: 'integration',
          globals: true,
          server: sources,
          include: ['test/**/*.test.ts'],
          // Their own commands: `npm run test:faults` and `npm run test:fuzz`.
          exclude: ['test/faults/**', 'test/fuzz/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each file starts its own nats-server and gateways; two cores run two files at once.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        plugins: [decorators],
        resolve: { conditions: ['@ferry/source'] },
        ssr: { resolve: { conditions: ['@ferry/source'] } },
        test: {
          name: 'faults',
          globals: true,
          server: sources,
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          // Faults are injected into processes under load: one file at a time.
          fileParallelism: false,
        },
      },
      {
        plugins: [decorators],
        resolve: { conditions: ['@ferry/source'] },
        ssr: { resolve: { conditions: ['@ferry/source'] } },
        test: {
          name: 'fuzz',
          globals: true,
          server: sources,
          include: ['test/fuzz/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
