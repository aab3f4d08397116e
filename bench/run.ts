/**
 * npm run bench: the figures MISSION.md and the quota issue set targets for, measured on
 * the simulator.
 *
 * Rolling releases of the canonical environment and of fleets up to 10,000 application
 * hosts, with 10% batches, one host at a time and waves, in both drain modes (the host-side
 * drain check, and waiting out the 300 s deregistration delay), plus a failing 2,000-host batch
 * whose hosts have 64-character names: makespan against its lower bound, the Lambda GB-seconds and
 * what they and the transitions cost, state
 * transitions (parent and children, total and per batch), history events of the parent
 * and of the largest execution (quota 25,000), child executions, the largest state payload
 * including caught causes (quota 262,144 bytes), and the real time the simulation took. A
 * plan that cannot fit is refused before the lock: the row says so, with the figures. Then
 * the compute workflows (allocate, scale out, replace), surge releases and data restores
 * (restore-data, recover) against their
 * lower bounds (boot, setup, install, healthy), with the lowest web count, orphans and the
 * extra instance-hours; the fault campaign (BENCH_CAMPAIGN_RUNS, default 200); and every
 * Lambda bundle: its size, the packages that take its bytes, its memory and its cold import time
 * (bench/bundles.ts).
 *
 * BENCH_ONLY=text runs only the rows whose name contains it (case-insensitive; "campaign" and
 * "bundles" name those sections), e.g. `BENCH_ONLY='1,000 app hosts, 1 at a time' npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentDefinition } from '../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../lib/simulator/account';
import { runCampaign } from '../lib/simulator/campaign';
import { ASSUMED_INVOCATION_MS, simulateDeploy, simulateExecutions, type SimulatedWorkflow } from '../lib/simulator/simulate';
import { memoryFor } from '../lib/constructs/function-catalog';
import { buildBundle, coldImportCpuMs, handlerModules } from './bundles';
import { readSeconds } from '../lambdas/compute/retire-guards';
import { protectionReadSeconds } from '../lib/simulator/compute-bound';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../environments/canonical.json', import.meta.url)));
/** waves.json: waves 1/10%/25%, and no duration hints for its installs (the first looks are guesses). */
const wavesFile = loadEnvironmentFile(fileURLToPath(new URL('../environments/waves.json', import.meta.url)));

type Batch = EnvironmentDefinition['tiers'][number] extends infer T ? (T extends { batch: infer B } ? B : never) : never;

function fleet(batch: Record<string, unknown>): EnvironmentDefinition {
  return { ...canonical, tiers: canonical.tiers.map((t) => (t.role === 'data' ? t : { ...t, batch: batch as Batch })) };
}

/** Host names as long as EC2 Name tags get in practice (64 characters). */
function longNames(account: SimulatedAccount): void {
  for (const host of account.hosts.values()) host.tags.set('Name', `${host.name}-`.padEnd(64, 'x'));
}

/**
 * The same environment without the host-side drain check: every batch waits out the target groups'
 * deregistration delay (ELB's default, 300 s), during which ELB shows its targets draining.
 */
function withoutDrainCheck(environment: EnvironmentDefinition): EnvironmentDefinition {
  return {
    ...environment,
    tiers: environment.tiers.map((t) => (t.role === 'data' || !t.drain.check ? t : { ...t, drain: { timeoutSeconds: t.drain.timeoutSeconds } })),
  };
}

// Host counts are the application hosts a release rolls (web + middle); monitoring hosts exist too.
// Both drain modes: with the host-side drain check (environments/canonical.json), a batch goes on once its
// hosts report no open connection; without it, once ELB stops showing them draining, at the delay.
const waves = { waves: [1, '10%', '33%'], maxUnavailable: '50%', minHealthyPercent: 50 };
const cases: Array<{ name: string; environment: EnvironmentDefinition; hostsPerTier: number; faults?: string[]; prepare?: (a: SimulatedAccount) => void }> = [
  { name: 'canonical (4 app hosts)', environment: canonical, hostsPerTier: 2 },
  { name: 'waves.json (no duration hints)', environment: wavesFile, hostsPerTier: 2 },
  { name: 'canonical, no drain check (300 s delay)', environment: withoutDrainCheck(canonical), hostsPerTier: 2 },
  { name: '100 app hosts, 10% batches', environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 50 },
  { name: '200 app hosts, 1 at a time', environment: fleet({ maxUnavailable: 1, minHealthyPercent: 50 }), hostsPerTier: 100 },
  { name: '1,000 app hosts, 10% batches', environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 500 },
  { name: '1,000 app hosts, 10%, no drain check', environment: withoutDrainCheck(fleet({ maxUnavailable: '10%', minHealthyPercent: 90 })), hostsPerTier: 500 },
  { name: '1,000 app hosts, 1 at a time', environment: fleet({ maxUnavailable: 1, minHealthyPercent: 50 }), hostsPerTier: 500 },
  { name: '1,000 app hosts, waves 1/10%/33%', environment: fleet(waves), hostsPerTier: 500 },
  { name: '10,000 app hosts, 10% batches', environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 5000 },
  { name: '10,000 app hosts, waves 1/10%/33%', environment: fleet(waves), hostsPerTier: 5000 },
  { name: '10,000 app hosts, 1 at a time', environment: fleet({ maxUnavailable: 1, minHealthyPercent: 50 }), hostsPerTier: 5000 },
  {
    name: '1,300-host batch fails, 64-char names',
    environment: fleet({ maxUnavailable: 1300, minHealthyPercent: 50 }),
    hostsPerTier: 2600,
    faults: ['patch-fail:mid-1', 'patch-fail:mid-1299'],
    prepare: longNames,
  },
  {
    name: '2,000-host batch fails, 64-char names',
    environment: fleet({ maxUnavailable: 2000, minHealthyPercent: 50 }),
    hostsPerTier: 4000,
    faults: ['patch-fail:mid-1', 'patch-fail:mid-1999'],
    prepare: longNames,
  },
];

/** BENCH_ONLY's substrings: `|` separates several, e.g. `canonical (4|replace web-1`. */
const only = process.env.BENCH_ONLY?.toLowerCase().split('|').filter((s) => s.length > 0);
/** Whether a row (or section) named `name` runs under BENCH_ONLY. */
const selected = (name: string): boolean => only === undefined || only.some((s) => name.toLowerCase().includes(s));

/** Step Functions standard workflows, us-east-1: USD 0.025 per 1,000 state transitions (AWS Step Functions pricing). */
const USD_PER_TRANSITION = 0.025 / 1000;
/** Lambda on arm64, us-east-1: USD 0.0000133334 per GB-second, and USD 0.20 per million requests (AWS Lambda pricing). */
const USD_PER_LAMBDA_GB_SECOND = 0.0000133334;
/** What a run's transitions and its Lambda time cost, side by side: the trade a check that watches makes. */
function costColumns(report: { stateTransitions: number; lambdaGbSeconds: number }): string[] {
  return [report.lambdaGbSeconds.toFixed(0), `${(report.stateTransitions * USD_PER_TRANSITION).toFixed(4)} + ${(report.lambdaGbSeconds * USD_PER_LAMBDA_GB_SECOND).toFixed(4)}`];
}

const rows: string[][] = [
  ['case', 'status', 'batches', 'makespan s', 'lower bound s', 'ratio', 'transitions', 'per batch', 'lambda GB-s', 'USD sfn + lambda', 'children', 'parent events', 'max events', 'max payload B', 'real s'],
];
const notes: string[] = [];
for (const c of cases.filter((c) => selected(c.name))) {
  const report = await simulateDeploy({
    environment: c.environment,
    input: { release: '1.1.0' },
    hostsPerTier: c.hostsPerTier,
    ...(c.faults ? { faults: c.faults } : {}),
    ...(c.prepare ? { prepare: c.prepare } : {}),
  });
  const batches = (report.output as { batches?: number } | undefined)?.batches ?? 0;
  const status = report.status === 'SUCCEEDED' ? report.status : `${report.status} ${report.error}`;
  if (report.status !== 'SUCCEEDED') notes.push(`${c.name}: ${report.error}: ${(report.cause ?? '').slice(0, 400)}`);
  rows.push([
    c.name,
    status,
    batches ? String(batches) : '-',
    report.makespanSeconds.toFixed(0),
    report.lowerBoundSeconds.toFixed(0),
    report.status === 'SUCCEEDED' ? (report.makespanSeconds / report.lowerBoundSeconds).toFixed(3) : '-',
    String(report.stateTransitions),
    batches ? (report.stateTransitions / batches).toFixed(1) : '-',
    ...costColumns(report),
    String(report.childExecutions),
    String(report.historyEvents),
    String(report.maxHistoryEvents),
    String(report.largestPayloadBytes),
    (report.realTimeMs / 1000).toFixed(1),
  ]);
}
if (rows.length > 1) {
  printTable('Rolling release, simulated (quotas: 25,000 history events per execution, 262,144-byte payloads)', rows);
  console.log(`(lambda GB-s: each invocation's virtual time, a watching check's sleeps included, plus ${ASSUMED_INVOCATION_MS} ms assumed for its own work, times its memory)`);
}
if (notes.length > 0) console.log(`\n${notes.join('\n')}`);

// Compute workflows and surge releases: makespan against boot + prerequisites + install + healthy.
const surge = loadEnvironmentFile(fileURLToPath(new URL('../environments/surge.json', import.meta.url)));
const surgeFleet = (batch: Record<string, unknown>): EnvironmentDefinition => ({
  ...surge,
  tiers: surge.tiers.map((t) => (t.role === 'web' || t.role === 'middle' ? { ...t, batch: { strategy: 'surge', ...batch } as Batch } : t)),
});
/** Canonical with each named tier's declared count changed (what allocate and recover build). */
const counted = (counts: Record<string, number>): EnvironmentDefinition => ({
  ...canonical,
  tiers: canonical.tiers.map((t) => (t.name in counts ? { ...t, count: counts[t.name] } : t)) as EnvironmentDefinition['tiers'],
});
const computeCases: Array<{ name: string; workflow: SimulatedWorkflow; input: unknown; environment?: EnvironmentDefinition; hostsPerTier?: number; empty?: boolean; keepSnapshots?: boolean; faults?: string[] }> = [
  { name: 'allocate canonical (empty account)', workflow: 'allocate', input: {}, empty: true },
  { name: 'allocate 1,000 app hosts (empty account)', workflow: 'allocate', input: { tiers: { web: 500, middle: 500, monitoring: 2, database: 1 } }, empty: true },
  { name: 'allocate, no web capacity (fails)', workflow: 'allocate', input: {}, empty: true, faults: ['launch-fail:web'] },
  { name: 'scale out web +100', workflow: 'scale-out', input: { tier: 'web', add: 100 } },
  { name: 'scale in web -100 of 300', workflow: 'scale-in', input: { tier: 'web', remove: 100 }, hostsPerTier: 300 },
  { name: 'replace web-1', workflow: 'replace', input: { targets: ['web-1'] } },
  { name: 'replace 50 named of 200 web hosts', workflow: 'replace', input: { targets: Array.from({ length: 50 }, (_, i) => `web-${i + 1}`) }, hostsPerTier: 200 },
  { name: 'replace, disaster recovery (all web)', workflow: 'replace', input: { targets: ['web-1', 'web-2'], mode: 'disaster-recovery' } },
  { name: 'surge release, canonical sizes', workflow: 'deploy', input: { release: '1.1.0' }, environment: surge },
  { name: 'restore-data latest, canonical', workflow: 'restore-data', input: { source: 'latest' } },
  { name: 'restore-data latest, 200 app hosts', workflow: 'restore-data', input: { source: 'latest' }, hostsPerTier: 100 },
  { name: 'restore-data, reconfigure fails on web-2', workflow: 'restore-data', input: { source: 'latest' }, faults: ['reconfigure-fail:web-2'] },
  { name: 'recover canonical (lost every instance)', workflow: 'recover', input: {}, empty: true, keepSnapshots: true },
  // Issue 17's recovery-time figure: 3 host tiers, 40 hosts (3,149 s before the restore overlapped the launch).
  { name: 'recover 3 tiers, 40 hosts (lost every instance)', workflow: 'recover', input: {}, environment: counted({ web: 20, middle: 16, monitoring: 4 }), empty: true, keepSnapshots: true },
  { name: 'surge release, 200 app hosts, 10%', workflow: 'deploy', input: { release: '1.1.0' }, environment: surgeFleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 100 },
  // batch.maxSurge of two batches: each batch's new hosts launch while the one before installs (issue 17: ≤ 1.5× the rolling release).
  { name: 'surge release, 200 app hosts, 10%, maxSurge 20%', workflow: 'deploy', input: { release: '1.1.0' }, environment: surgeFleet({ maxUnavailable: '10%', minHealthyPercent: 90, maxSurge: '20%' }), hostsPerTier: 100 },
  // Issue 17: a row per workflow at 1,000 hosts (allocate's is above; surge's are the surge rows').
  { name: 'scale out web +1,000', workflow: 'scale-out', input: { tier: 'web', add: 1000 } },
  { name: 'scale in web -1,000 of 2,000', workflow: 'scale-in', input: { tier: 'web', remove: 1000 }, hostsPerTier: 2000 },
  // The named targets are capped at 500 (MAX_REPLACE_TARGETS): 1,000 hosts are replaced as the tier's unhealthy ones.
  {
    name: 'replace 1,000 unhealthy of 2,000 web hosts',
    workflow: 'replace',
    input: { targets: 'unhealthy', tier: 'web' },
    hostsPerTier: 2000,
    faults: Array.from({ length: 1000 }, (_, i) => `down:web-${2 * i + 1}`),
  },
  { name: 'restore-data latest, 1,000 app hosts, 10% batches', workflow: 'restore-data', input: { source: 'latest' }, environment: fleet({ maxUnavailable: '10%', minHealthyPercent: 90 }), hostsPerTier: 500 },
  { name: 'recover 1,000 app hosts (lost every instance)', workflow: 'recover', input: {}, environment: counted({ web: 500, middle: 500 }), empty: true, keepSnapshots: true },
  { name: 'rolling release, 200 app hosts, 10% (the surge rows\' yardstick)', workflow: 'deploy', input: { release: '1.1.0' }, environment: surgeFleet({ maxUnavailable: '10%', minHealthyPercent: 90, strategy: 'rolling' }), hostsPerTier: 100 },
];
const computeRows: string[][] = [
  ['case', 'status', 'launched', 'makespan s', 'lower bound s', 'ratio', 'transitions', 'batches', 'per batch', 'lambda GB-s', 'USD sfn + lambda', 'children', 'max events', 'max payload B', 'min web', 'orphans', 'extra inst-h', 'real s'],
];
for (const c of computeCases.filter((c) => selected(c.name))) {
  const { reports } = await simulateExecutions({
    environment: c.environment ?? canonical,
    input: c.input,
    workflow: c.workflow,
    empty: c.empty ?? false,
    keepSnapshots: c.keepSnapshots ?? false,
    ...(c.hostsPerTier ? { hostsPerTier: c.hostsPerTier } : {}),
    faults: c.faults ?? [],
    executions: [{ input: c.input }],
  });
  const report = reports[0]!;
  const batches = batchesOf(report);
  computeRows.push([
    c.name,
    report.status === 'SUCCEEDED' ? report.status : `${report.status} ${report.error}`,
    String(report.compute?.launched.length ?? 0),
    report.makespanSeconds.toFixed(0),
    report.lowerBoundSeconds.toFixed(0),
    report.status === 'SUCCEEDED' && report.lowerBoundSeconds > 0 ? (report.makespanSeconds / report.lowerBoundSeconds).toFixed(3) : '-',
    String(report.stateTransitions),
    batches ? String(batches) : '-',
    batches ? (report.stateTransitions / batches).toFixed(1) : '-',
    ...costColumns(report),
    String(report.childExecutions),
    String(report.maxHistoryEvents),
    String(report.largestPayloadBytes),
    String(report.minInService.web ?? '-'),
    String(report.compute?.orphans.length ?? 0),
    (report.compute?.extraInstanceHours ?? 0).toFixed(2),
    (report.realTimeMs / 1000).toFixed(1),
  ]);
}
if (computeRows.length > 1) printTable('Compute workflows, surge releases and data restores, simulated', computeRows);

// The retire guards at EC2's request rate (lambdas/compute/retire-guards.ts): the plan reads each retired host's stop and
// termination protection, one DescribeInstanceAttribute call per host and attribute, paced to 20 a second after 50; the
// simulated account throttles past EC2's 100 + 20 a second (lib/simulator/request-rates.ts). Measured, not computed:
// the reads are the account's DescribeInstanceAttribute calls, the plan's seconds its Plan task's own span in the history
// (entered to exited), against AWS's floor for those reads (100 at once, then 20 a second) and the guard's pace (50, then 20).
const terminating = (tier: string): EnvironmentDefinition => ({
  ...canonical,
  tiers: canonical.tiers.map((t) => (t.name === tier ? { ...t, retire: 'terminate' } : t)) as EnvironmentDefinition['tiers'],
});
const guardCases: Array<{ name: string; workflow: SimulatedWorkflow; input: unknown; environment: EnvironmentDefinition; hostsPerTier: number }> = [
  // Both app tiers surge: 2 × 1,000 old hosts, each stopped then terminated (two attributes): 4,000 reads.
  { name: 'plan surge release, 1,000-host tiers (web and middle)', workflow: 'deploy', input: { release: '1.1.0' }, environment: surgeFleet({ maxUnavailable: '10%', minHealthyPercent: 90, maxSurge: '20%' }), hostsPerTier: 1000 },
  { name: 'plan scale in -1,000 of 2,000, retire terminate', workflow: 'scale-in', input: { tier: 'web', remove: 1000 }, environment: terminating('web'), hostsPerTier: 2000 },
];
const guardRows: string[][] = [['case', 'status', 'attribute reads', 'AWS floor s (100, then 20/s)', 'guard pace s (50, then 20/s)', 'plan task s', 'makespan s', 'throttled calls', 'real s']];
for (const c of guardCases.filter((c) => selected(c.name))) {
  const { reports, events, account } = await simulateExecutions({ environment: c.environment, input: c.input, workflow: c.workflow, hostsPerTier: c.hostsPerTier, faults: [], executions: [{ input: c.input }] });
  const report = reports[0]!;
  const reads = account.calls.get('ec2:DescribeInstanceAttribute') ?? 0;
  // The Plan task's span: entered to exited, on the virtual clock.
  const at = (type: string) => events[0]!.find((e) => e.type === type && /^Plan (Release|Scale In|Replace)$/.test(e.state?.name ?? ''))?.timestamp ?? Number.NaN;
  guardRows.push([
    c.name,
    report.status === 'SUCCEEDED' ? report.status : `${report.status} ${report.error}`,
    String(reads),
    protectionReadSeconds(reads).toFixed(1),
    readSeconds(reads).toFixed(1),
    ((at('StateExited') - at('StateEntered')) / 1000).toFixed(1),
    report.makespanSeconds.toFixed(0),
    String(report.throttledCalls),
    (report.realTimeMs / 1000).toFixed(1),
  ]);
}
if (guardRows.length > 1) printTable("Retire guards at EC2's request rate, simulated", guardRows);

// The long fault campaign (the tests run a short one): BENCH_CAMPAIGN_RUNS runs, seed 1, in this process.
const campaignRuns = Number(process.env.BENCH_CAMPAIGN_RUNS ?? 200);
if (campaignRuns > 0 && selected('campaign')) {
  const campaign = await runCampaign({ environment: canonical, runs: campaignRuns, seed: 1 });
  printTable(`Fault campaign, canonical, seed 1 (${campaign.realTimeSeconds} s)`, [
    ['runs', 'violations', 'outcomes'],
    [String(campaign.runs), String(campaign.violationCount), Object.entries(campaign.byOutcome).map(([k, v]) => `${k} ${v}`).join('; ')],
  ]);
  for (const v of campaign.violations) console.log(`  run ${v.index}: ${v.violations.map((x) => `${x.invariant}: ${x.detail}`).join('; ')}\n    replay: ${v.replay}`);
}

// Every handler's bundle, built by the stack's own bundler: its size, what takes the bytes, and its cold import.
if (selected('bundles')) {
  const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-bundles-'));
  const bundleRows: string[][] = [['handler', 'KiB', 'memory MB', 'cold import CPU ms', 'init at memory s', 'largest parts (KiB)']];
  try {
    for (const handler of handlerModules()) {
      const bundle = await buildBundle(handler, outdir);
      const cpuMs = coldImportCpuMs(bundle.file);
      const memory = memoryFor(handler);
      bundleRows.push([
        handler,
        (bundle.bytes / 1024).toFixed(0),
        String(memory),
        cpuMs.toFixed(0),
        // Lambda gives one vCPU at 1,769 MB, in proportion below it (lib/constructs/function-catalog.ts).
        ((cpuMs / 1000) * (1769 / memory)).toFixed(2),
        bundle.parts.slice(0, 3).map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)}`).join(', '),
      ]);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  printTable('Lambda bundles (the stack\'s bundler; cold import: CPU of a fresh node importing the bundle, median of 5)', bundleRows);
}

/**
 * The batches a run went through: a release's from its output; a compute or data workflow's from its timeline, where
 * each batch starts with one phase: a new-host batch with 'set up', a retire or repoint batch with 'out of traffic'
 * (a rollback's are not counted). Unknown (0) when the timeline dropped phases (its bounds).
 */
function batchesOf(report: { workflow: string; output?: unknown; timeline: { phases: ReadonlyArray<{ phase: string; revert: boolean }>; bounds: { phasesOmitted: number } } }): number {
  if (report.workflow === 'deploy') return (report.output as { batches?: number } | undefined)?.batches ?? 0;
  if (report.timeline.bounds.phasesOmitted > 0) return 0;
  return report.timeline.phases.filter((p) => p.phase === 'set up' || (p.phase === 'out of traffic' && !p.revert)).length;
}

function printTable(title: string, table: string[][]): void {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}
