/**
 * The layout's import rules (issue 15, step 3), read from the sources' own import graph:
 * - no import circle anywhere in lambdas/, lib/, statemachines/, bin/;
 * - no handler module (a module of a workflow folder that exports `handler`) imports another;
 * - lambdas/shared/ imports nothing from a workflow folder (only shared/ and domain/);
 * - nothing in lambdas/ imports lib/, statemachines/ or bin/ (what a Lambda bundles stays in lambdas/);
 * - lambdas/domain/ (the environment model, the input parsers, the contract) imports only
 *   itself, node: and zod: no SDK, no CDK, so the stack, the CLI, the simulator and the
 *   handlers can all stand on it.
 *
 * The graph comes from TypeScript's own scanner (`ts.preProcessFile`: static imports,
 * re-exports, `import()` and `import('…')` types), so an import inside a string is not one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { circles, ROOT, repositoryGraph, type Graph } from './import-graph';

const isHandlerModule = (file: string) =>
  /^lambdas\/(?!shared\/|domain\/)[^/]+\/[^/]+\.ts$/.test(file) && /^export const handler\b/m.test(readFileSync(join(ROOT, file), 'utf8'));

/** Every import that breaks a rule, as "rule: from -> to". */
function layoutViolations(graph: Graph, isHandler: (file: string) => boolean): string[] {
  const violations: string[] = [];
  for (const [from, imports] of graph) {
    for (const to of imports) {
      const edge = `${from} -> ${to}`;
      if (isHandler(from) && isHandler(to)) violations.push(`handler imports handler: ${edge}`);
      if (from.startsWith('lambdas/shared/') && to.startsWith('lambdas/') && !/^lambdas\/(shared|domain)\//.test(to)) {
        violations.push(`shared imports a workflow folder: ${edge}`);
      }
      if (from.startsWith('lambdas/') && /^(lib|statemachines|bin)\//.test(to)) violations.push(`lambdas imports upward: ${edge}`);
      if (from.startsWith('lambdas/domain/') && !to.startsWith('lambdas/domain/') && !to.startsWith('node:') && to !== 'zod' && !to.startsWith('zod/')) {
        violations.push(`domain imports outside itself, node: and zod: ${edge}`);
      }
    }
  }
  for (const circle of circles(graph)) violations.push(`import circle: ${circle.join(' <-> ')}`);
  return violations;
}

/** Scanned once for the tests that read the repository (a scan is a few hundred ms on CI's cores). */
let scanned: Graph | undefined;
const theGraph = () => (scanned ??= repositoryGraph());

describe('the import rules of the layout', () => {
  it('holds in the repository: no circle, no handler importing a handler, nothing importing upward', () => {
    const violations = layoutViolations(theGraph(), isHandlerModule);
    expect(violations).toEqual([]);
  });

  it('keeps the AWS commands off the simulator\'s engine: they read progress lines and the timeline, not simulate.ts, even for a type', () => {
    const graph = theGraph();
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of graph.get(file) ?? []) visit(next);
    };
    visit('lib/cli/aws/commands.ts');
    expect(reached).toContain('lib/simulator/progress.ts');
    expect(reached).toContain('lib/simulator/timeline.ts');
    expect([...reached].filter((file) => file === 'lib/simulator/simulate.ts' || file.startsWith('lib/simulator/services/'))).toEqual([]);
  });

  it('reads the real graph: handlers import shared/ and the domain, the stack imports the domain', () => {
    const graph = theGraph();
    expect(graph.get('lambdas/deploy/plan-release.ts')).toEqual(
      expect.arrayContaining(['lambdas/domain/execution-input.ts', 'lambdas/shared/tier-hosts.ts', 'lambdas/domain/contract/payloads.ts']),
    );
    expect(graph.get('lib/fleetflow.ts')).toContain('lambdas/domain/environment/parse.ts');
    expect(isHandlerModule('lambdas/deploy/plan-release.ts')).toBe(true);
    expect(isHandlerModule('lambdas/compute/launching.ts')).toBe(false);
  });

  const handlers = new Set(['lambdas/rollout/check-install.ts', 'lambdas/rollout/install-release.ts']);
  const isHandler = (file: string) => handlers.has(file);
  const check = (edges: Record<string, string[]>) => layoutViolations(new Map(Object.entries(edges)), isHandler);

  it('refuses a handler that imports another handler', () => {
    expect(check({ 'lambdas/rollout/check-install.ts': ['lambdas/rollout/install-release.ts'], 'lambdas/rollout/install-release.ts': [] })).toEqual([
      'handler imports handler: lambdas/rollout/check-install.ts -> lambdas/rollout/install-release.ts',
    ]);
  });

  it('refuses shared/ importing a workflow folder, and allows it the domain', () => {
    expect(check({ 'lambdas/shared/phase.ts': ['lambdas/rollout/batch-state.ts', 'lambdas/domain/contract/payloads.ts'] })).toEqual([
      'shared imports a workflow folder: lambdas/shared/phase.ts -> lambdas/rollout/batch-state.ts',
    ]);
  });

  it('refuses lambdas importing lib/ or statemachines/', () => {
    expect(check({ 'lambdas/deploy/plan-release.ts': ['lib/cli/options.ts', 'statemachines/fragments/failures.ts'] })).toEqual([
      'lambdas imports upward: lambdas/deploy/plan-release.ts -> lib/cli/options.ts',
      'lambdas imports upward: lambdas/deploy/plan-release.ts -> statemachines/fragments/failures.ts',
    ]);
  });

  it('refuses the domain importing an SDK, the CDK or shared/', () => {
    expect(check({ 'lambdas/domain/environment/model.ts': ['zod', 'zod/mini', 'node:fs', '@aws-sdk/client-ec2', 'aws-cdk-lib', 'lambdas/shared/phase.ts'] })).toEqual([
      'domain imports outside itself, node: and zod: lambdas/domain/environment/model.ts -> @aws-sdk/client-ec2',
      'domain imports outside itself, node: and zod: lambdas/domain/environment/model.ts -> aws-cdk-lib',
      'domain imports outside itself, node: and zod: lambdas/domain/environment/model.ts -> lambdas/shared/phase.ts',
    ]);
  });

  it('refuses an import circle, however long', () => {
    expect(
      check({
        'lambdas/domain/contract/payloads.ts': ['lambdas/domain/contract/tags.ts'],
        'lambdas/domain/contract/tags.ts': ['lambdas/domain/contract/errors.ts'],
        'lambdas/domain/contract/errors.ts': ['lambdas/domain/contract/payloads.ts'],
        'lib/cli/main.ts': ['lambdas/domain/contract/payloads.ts'],
      }),
    ).toEqual(['import circle: lambdas/domain/contract/errors.ts <-> lambdas/domain/contract/payloads.ts <-> lambdas/domain/contract/tags.ts']);
  });
});
