/**
 * npm run bench: the figures MISSION.md sets targets for, measured on the simulator.
 *
 * For the canonical environment and for 100-, 1,000- and 10,000-host fleets (canonical tiers
 * with a 10%-at-a-time policy), a whole release (lock, snapshot, migration, rollout,
 * bake): makespan against its lower bound, state transitions
 * (total and per batch), estimated history events, the largest state payload, and the
 * real time the simulation took. Then the size of every Lambda bundle.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { EnvironmentDefinition } from '../lib/environment/model';
import { loadEnvironmentFile } from '../lib/environment/parse';
import { simulateDeploy } from '../lib/simulator/simulate';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../environments/canonical.json', import.meta.url)));

function fleet(policy: { maxUnavailable: string; minHealthyPercent: number }): EnvironmentDefinition {
  return { ...canonical, tiers: canonical.tiers.map((t) => (t.role === 'data' ? t : { ...t, batch: policy })) };
}

// Host counts are the application hosts a release rolls (web + middle); monitoring hosts exist too.
const cases = [
  { name: 'canonical (4 app hosts)', environment: canonical, hostsPerTier: 2 },
  { name: '100 app hosts, 10% batches', environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 50 },
  { name: '1,000 app hosts, 10% batches', environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 500 },
  { name: '10,000 app hosts, 10% batches', environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 5000 },
];

const rows: string[][] = [
  ['case', 'status', 'batches', 'makespan s', 'lower bound s', 'ratio', 'transitions', 'per batch', 'history events', 'max payload B', 'real s'],
];
for (const c of cases) {
  const report = await simulateDeploy({ environment: c.environment, input: { release: '1.1.0' }, hostsPerTier: c.hostsPerTier });
  const batches = (report.output as { batches?: number } | undefined)?.batches ?? 0;
  rows.push([
    c.name,
    report.status,
    String(batches),
    report.makespanSeconds.toFixed(0),
    report.lowerBoundSeconds.toFixed(0),
    (report.makespanSeconds / report.lowerBoundSeconds).toFixed(3),
    String(report.stateTransitions),
    (report.stateTransitions / Math.max(1, batches)).toFixed(1),
    String(report.historyEvents),
    String(report.largestPayloadBytes),
    (report.realTimeMs / 1000).toFixed(1),
  ]);
}
printTable('Rolling release, simulated (limits: 25,000 history events, 262,144-byte payload)', rows);

const lambdasDir = fileURLToPath(new URL('../lambdas/', import.meta.url));
const bundleRows: string[][] = [['handler', 'minified ESM bundle KiB']];
const handlers = ['deploy', 'database', 'validation'].flatMap((dir) =>
  readdirSync(`${lambdasDir}${dir}`)
    .filter((f) => f.endsWith('.ts') && f !== 'types.ts')
    .map((f) => `${dir}/${f}`),
);
for (const file of handlers.sort()) {
  const result = await build({
    entryPoints: [`${lambdasDir}${file}`],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  bundleRows.push([file, (result.outputFiles[0]!.contents.byteLength / 1024).toFixed(0)]);
}
printTable('Lambda bundles (same esbuild settings as the CDK stack)', bundleRows);

function printTable(title: string, table: string[][]): void {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}
