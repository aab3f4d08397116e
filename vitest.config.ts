import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first. Vitest starts files longest first only when it
 * has their durations from an earlier run; without (CI's fresh checkout) it starts the
 * largest files first, which left the bundling test (a small file that runs esbuild some 50
 * times) for the end, on one worker while the other idled.
 */
const SLOWEST_FIRST = [
  'test/infra/bundling.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/campaign.test.ts',
  'test/e2e/deploy/release-safety.test.ts',
  'test/e2e/named-failures.test.ts',
  'test/e2e/deploy/rolling-release.test.ts',
];

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
    include: ['test/**/*.test.ts'],
    // Synthesizing the stack and running simulated executions take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { sequencer: SlowestFirst },
    // Each file runs in a process of its own: synthesized templates are shared through files
    // named by a hash of the sources (TEMPLATE_CACHE_ENV, lib/simulator/template-cache.ts). The CLI
    // tests' child processes inherit it.
    env: { FLEETFLOW_TEMPLATE_CACHE: join(tmpdir(), 'fleetflow-templates') },
  },
});
