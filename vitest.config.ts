import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (as `npx vitest run --reporter=json` measured
 * them). Vitest starts files longest first only when it has their durations from an earlier run; without (CI's fresh checkout) it starts the
 * largest files first, which left the bundling test (a small file that runs esbuild some 50
 * times) for the end, on one worker while the other idled.
 */
const SLOWEST_FIRST = [
  'test/infra/bundling.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/progress.test.ts',
  'test/e2e/deploy/rolling-release.test.ts',
  'test/unit/report/report-in-chromium.test.ts',
  'test/unit/report/report-file.test.ts',
  'test/e2e/campaign.test.ts',
  'test/e2e/surge/surge.test.ts',
  'test/e2e/review-regressions.test.ts',
  'test/infra/iam-conditions.test.ts',
  'test/e2e/named-failures.test.ts',
  'test/e2e/compute/compute.test.ts',
  'test/infra/workflow-definition.test.ts',
  'test/e2e/deploy/release-safety.test.ts',
];

/** The end-to-end simulations: no file mocks a module or stubs a client (one spy on Math.random, restored after each test). */
const SIMULATED = ['test/e2e/**/*.test.ts'];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    return sorted.map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file);
  }
}

export default defineConfig({
  test: {
    // Synthesizing the stack and running simulated executions take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker per core. Vitest's default in run mode is one fewer than the cores: on CI's two
    // cores, one worker, and the other core idle for the whole run.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: SlowestFirst },
    // Each file runs in a process of its own: synthesized templates are shared through files
    // named by a hash of the sources (TEMPLATE_CACHE_ENV, lib/simulator/template-cache.ts). The CLI
    // tests' child processes inherit it.
    env: { FLEETFLOW_TEMPLATE_CACHE: join(tmpdir(), 'fleetflow-templates') },
    projects: [
      {
        extends: true,
        test: {
          name: 'simulated',
          include: SIMULATED,
          // These files only run simulations (no module mocks, no stubbed SDK clients): one
          // process runs several of them, so the handlers, the SDK, the engine and the
          // synthesized workflows are loaded once per worker, not once per file.
          isolate: false,
        },
      },
      // Each project names its own files: arrays a project extends are merged with the root's, not replaced.
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: SIMULATED } },
    ],
  },
});
