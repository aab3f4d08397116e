/**
 * The simulator is laid out one module per AWS service (services/<service>.ts), over an
 * account module that holds the state and imports none of them, with no import circle
 * anywhere under lib/simulator. Type-only imports count: a circle of types still ties two
 * modules into one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HANDLER_METADATA_KEY as FUNCTION_HANDLER_KEY } from '../../lib/constructs/fleetflow-function';
import { HANDLER_METADATA_KEY } from '../../lib/simulator/definition';
import { SERVICES } from '../../lib/simulator/services/index';

const SIMULATOR = fileURLToPath(new URL('../../lib/simulator/', import.meta.url));

/** Every relative module specifier a TypeScript file names: import/export ... from, side-effect imports, import(). */
export function relativeImports(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
    ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith('.'));
}

/** The import graph of the TypeScript files under `root`: file (relative to root) -> files it imports under root. */
export function importGraph(root: string): Map<string, string[]> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = relativeImports(readFileSync(join(root, file), 'utf8'))
      .map((specifier) => relative(root, resolve(dirname(join(root, file)), specifier)))
      .map((target) => (target.endsWith('.ts') ? target : `${target}.ts`))
      .filter((target) => files.includes(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Each import circle once, as the path that closes it (a -> b -> a). */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), file, next].join(' -> '));
      else if (!state.has(next)) visit(next, [...path, file]);
    }
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file, []);
  return found;
}

describe('the simulator layout', () => {
  const graph = importGraph(SIMULATOR);

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the check itself)', () => {
    const circular = new Map([
      ['account.ts', ['services/rds.ts']],
      ['services/rds.ts', ['services/common.ts', 'account.ts']],
      ['services/common.ts', []],
    ]);
    expect(circles(circular)).toEqual(['account.ts -> services/rds.ts -> account.ts']);
    expect(relativeImports("import type { A } from './a';\nexport { B } from '../b';\nconst c = await import('./c');\nimport 'pkg';")).toEqual(['./a', '../b', './c']);
  });

  it('keeps the account state free of every service module', () => {
    expect(graph.get('account.ts')!.filter((file) => file.startsWith('services/'))).toEqual([]);
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
