/**
 * The simulator is laid out one module per AWS service (services/<service>.ts), over an
 * account module that holds the state and imports none of them, with no import circle
 * anywhere under lib/simulator. Type-only imports count: a circle of types still ties two
 * modules into one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HANDLER_METADATA_KEY as FUNCTION_HANDLER_KEY } from '../../lib/constructs/fleetflow-function';
import { HANDLER_METADATA_KEY } from '../../lib/simulator/definition';
import { SERVICES } from '../../lib/simulator/services/index';
import { circles, repositoryGraph } from './import-graph';

const SIMULATOR = fileURLToPath(new URL('../../lib/simulator/', import.meta.url));

describe('the simulator layout', () => {
  // The repository's graph (type-only imports included), narrowed to the simulator's modules.
  const graph = new Map(
    [...repositoryGraph()]
      .filter(([file]) => file.startsWith('lib/simulator/'))
      .map(([file, imports]) => [file, imports.filter((target) => target.startsWith('lib/simulator/'))]),
  );

  it('has no import circle', () => {
    expect(graph.size).toBeGreaterThan(10);
    expect(circles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the check itself)', () => {
    const circular = new Map([
      ['account.ts', ['services/rds.ts']],
      ['services/rds.ts', ['services/common.ts', 'account.ts']],
      ['services/common.ts', []],
    ]);
    expect(circles(circular)).toEqual([['account.ts', 'services/rds.ts']]);
  });

  it('keeps the account state free of every service module', () => {
    expect(graph.get('lib/simulator/account.ts')).toBeDefined();
    expect(graph.get('lib/simulator/account.ts')!.filter((file) => file.startsWith('lib/simulator/services/'))).toEqual([]);
  });

  it('answers each AWS service from a module of its own, named for it', () => {
    const modules = readdirSync(join(SIMULATOR, 'services')).map((f) => f.replace(/\.ts$/, ''));
    for (const service of Object.keys(SERVICES)) expect(modules, service).toContain(service);
    // The RDS restore (from a snapshot, to a point in time) is RDS's.
    const rds = readFileSync(join(SIMULATOR, 'services/rds.ts'), 'utf8');
    expect(rds).toMatch(/RestoreDBInstanceFromDBSnapshot\(/);
    expect(rds).toMatch(/RestoreDBInstanceToPointInTime\(/);
  });

  it('reads handler modules from templates under the key the functions write them with', () => {
    expect(HANDLER_METADATA_KEY).toBe(FUNCTION_HANDLER_KEY);
  });

  it('loads no CDK to run a simulation whose template is cached (definition.ts imports it only to synthesize)', () => {
    // The packages simulate.ts loads at run time: its static, non-type imports, followed through the repository's modules.
    const packages = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, specifier] of source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
        if (!specifier!.startsWith('.')) packages.add(specifier!);
        else visit(resolve(dirname(file), specifier!.endsWith('.ts') ? specifier! : `${specifier}.ts`));
      }
    };
    visit(join(SIMULATOR, 'simulate.ts'));

    expect(seen.has(join(SIMULATOR, 'definition.ts'))).toBe(true);
    expect([...packages].filter((p) => p.startsWith('aws-cdk-lib') || p === 'constructs' || p === 'cdk-nag')).toEqual([]);
  });
});
