/**
 * `fleetflow simulate campaign --runs N --seed S [--env FILE] [--component C] [--workers W] [--json]`
 * (options declared in lib/cli/commands/simulate.ts):
 * a seeded fault campaign against the real workflow (lib/simulator/campaign.ts). The runs
 * are shared among W worker processes (each simulation fakes the clock of its own
 * process); progress goes to stderr, and the result to stdout.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../../lambdas/domain/contract/errors';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { CAMPAIGN_WORKFLOWS, campaignHostsPerTier, runCampaign, summarize, type CampaignReport, type CampaignRun, type CampaignWorkflow, type FailedRun } from '../simulator/campaign';

const DEFAULT_ENV = fileURLToPath(new URL('../../environments/canonical.json', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('../../bin/fleetflow.mjs', import.meta.url));
const MAX_RUNS = 100_000;
const MAX_WORKERS = 16;

interface CampaignArgs {
  readonly env: string;
  readonly environment: EnvironmentDefinition;
  readonly runs: number;
  readonly seed: number;
  readonly component: 'application' | 'monitoring';
  readonly workflow: CampaignWorkflow;
  readonly workers: number;
  readonly json: boolean;
  /** Set in a worker process: the runs it owns. */
  readonly worker?: { readonly index: number; readonly of: number };
}

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidInputError(`--${name} must be a whole number from ${min} to ${max} in decimal digits (received ${JSON.stringify(value.slice(0, 40))})`);
  }
  return Number(value);
}

/** The options of `simulate campaign`, as lib/cli/commands/simulate.ts declares them. */
export interface CampaignValues {
  readonly env?: string;
  readonly runs?: string;
  readonly seed?: string;
  readonly component?: string;
  readonly workflow?: string;
  readonly workers?: string;
  /** Internal: set by the campaign on the worker processes it starts. */
  readonly worker?: string;
  readonly json?: boolean;
}

/** The campaign's options checked; every refusal is an InvalidInputError naming the option. */
export function campaignArgs(values: CampaignValues): CampaignArgs {
  const component = values.component ?? 'application';
  if (component !== 'application' && component !== 'monitoring') {
    throw new InvalidInputError(`--component must be application or monitoring (received ${JSON.stringify(component.slice(0, 40))})`);
  }
  const workflow = (values.workflow ?? 'deploy') as CampaignWorkflow;
  if (!CAMPAIGN_WORKFLOWS.includes(workflow)) {
    throw new InvalidInputError(`--workflow must be one of ${CAMPAIGN_WORKFLOWS.join(', ')} (received ${JSON.stringify(String(values.workflow).slice(0, 40))})`);
  }
  if (workflow !== 'deploy' && values.component !== undefined) throw new InvalidInputError('--component is for --workflow deploy');
  const workerSpec = values.worker === undefined ? undefined : /^(\d{1,2})\/(\d{1,2})$/.exec(values.worker);
  if (values.worker !== undefined && (!workerSpec || Number(workerSpec[1]) >= Number(workerSpec[2]))) {
    throw new InvalidInputError('--worker is internal: INDEX/COUNT');
  }
  const env = values.env ?? DEFAULT_ENV;
  return {
    env,
    environment: loadEnvironmentFile(env),
    runs: wholeNumber('runs', values.runs, 100, 1, MAX_RUNS),
    seed: wholeNumber('seed', values.seed, 1, 0, 2 ** 31 - 1),
    component,
    workflow,
    workers: wholeNumber('workers', values.workers, Math.min(2, availableParallelism()), 1, MAX_WORKERS),
    json: values.json ?? false,
    ...(workerSpec ? { worker: { index: Number(workerSpec[1]), of: Number(workerSpec[2]) } } : {}),
  };
}

/** Runs the campaign; returns the exit status (0: no violation, 1: violations). */
export async function campaignCommand(values: CampaignValues): Promise<number> {
  const args = campaignArgs(values);
  if (args.worker) return workerCommand(args);
  const started = performance.now();
  const progress = progressPrinter(args.runs);
  const runs = args.workers === 1 ? await inProcess(args, progress) : await inWorkers(args, progress);
  runs.sort((a, b) => a.index - b.index);
  const report = summarize(runs, args.seed, args.component, (performance.now() - started) / 1000, args.workflow, args.env === DEFAULT_ENV ? undefined : args.env, campaignHostsPerTier(args.environment, args.workflow));
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(humanSummary(report));
  return report.violationCount === 0 ? 0 : 1;
}

function progressPrinter(total: number): (run: CampaignRun) => void {
  let done = 0;
  let violations = 0;
  return (run) => {
    done += 1;
    violations += run.violations.length;
    if (run.violations.length > 0) process.stderr.write(`run ${run.index}: ${run.violations.map((v) => v.invariant).join(', ')} (${run.faults.join(' ') || 'no fault'})\n`);
    if (done % 10 === 0 || done === total) process.stderr.write(`[${done}/${total}] ${violations} violation(s)\n`);
  };
}

async function inProcess(args: CampaignArgs, onRun: (run: CampaignRun) => void): Promise<CampaignRun[]> {
  const runs: CampaignRun[] = [];
  await runCampaign({ environment: args.environment, runs: args.runs, seed: args.seed, component: args.component, workflow: args.workflow, onRun: (run) => (runs.push(run), onRun(run)) });
  return runs;
}

/** Each worker runs every run whose index is its own modulo the worker count, and prints one JSON line per run. */
async function workerCommand(args: CampaignArgs): Promise<number> {
  const { index, of } = args.worker!;
  const indexes = Array.from({ length: args.runs }, (_, i) => i).filter((i) => i % of === index);
  await runCampaign({
    environment: args.environment,
    runs: args.runs,
    seed: args.seed,
    component: args.component,
    workflow: args.workflow,
    indexes,
    onRun: (run) => process.stdout.write(`${JSON.stringify(run)}\n`),
  });
  return 0;
}

async function inWorkers(args: CampaignArgs, onRun: (run: CampaignRun) => void): Promise<CampaignRun[]> {
  const runs: CampaignRun[] = [];
  const workers = Array.from({ length: args.workers }, (_, index) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [LAUNCHER, 'simulate', 'campaign', '--env', args.env, '--runs', String(args.runs), '--seed', String(args.seed), ...(args.workflow === 'deploy' ? ['--component', args.component] : []), '--workflow', args.workflow, '--worker', `${index}/${args.workers}`],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const run = JSON.parse(line) as CampaignRun;
        runs.push(run);
        onRun(run);
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`campaign worker ${index} exited with ${code}`))));
    }),
  );
  await Promise.all(workers);
  return runs;
}

function humanSummary(report: CampaignReport): string {
  const lines = [
    `Fault campaign: ${report.runs} runs, seed ${report.seed}, ${report.component}, ${report.realTimeSeconds} s`,
    `  outcomes: ${Object.entries(report.byOutcome).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  faults drawn: ${Object.entries(report.byFaultKind).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...notAppliedLines(report),
    `  violations: ${report.violationCount}`,
    ...failedOutcomeLines(report),
    ...report.violations.flatMap((v) => [
      `  run ${v.index} (seed ${v.seed}): ${v.outcome}`,
      ...v.violations.map((x) => `    ${x.invariant}: ${x.detail}`),
      `    replay: ${v.replay}`,
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

/** Shown at most this many faults that never took effect, one line each; all of them are in `--json`. */
const NOT_APPLIED_LINES = 5;

/**
 * Faults drawn that never took effect: counted apart, since no run tested them (a run that
 * succeeded with only such faults came through nothing), with the first few and why.
 */
function notAppliedLines(report: CampaignReport): string[] {
  if (report.notApplied.length === 0) return [];
  const more = report.notApplied.length - NOT_APPLIED_LINES;
  return [
    `  faults not applied (drawn but never took effect, so not tested): ${Object.entries(report.notAppliedByFaultKind).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...report.notApplied.slice(0, NOT_APPLIED_LINES).map((n) => `    run ${n.index}: ${n.fault}: ${n.reason}`),
    ...(more > 0 ? [`    … and ${more} more (--json: notApplied)`] : []),
  ];
}

/**
 * One line per way the runs failed: how many, which runs (the first few), and the replay of
 * the first, so a person can look at any outcome without reading the JSON. Every failed
 * run's replay is in `--json` under failedRuns.
 */
function failedOutcomeLines(report: CampaignReport): string[] {
  const byOutcome = new Map<string, FailedRun[]>();
  for (const run of report.failedRuns) byOutcome.set(run.outcome, [...(byOutcome.get(run.outcome) ?? []), run]);
  if (byOutcome.size === 0) return [];
  const SHOWN = 5;
  return [
    '  failed runs, by outcome (each run\'s replay is in --json, failedRuns):',
    ...[...byOutcome].flatMap(([outcome, runs]) => {
      const indexes = runs.slice(0, SHOWN).map((r) => r.index).join(', ') + (runs.length > SHOWN ? ', …' : '');
      return [`    ${outcome}: ${runs.length} run${runs.length === 1 ? '' : 's'} (${indexes})`, `      replay run ${runs[0]!.index}: ${runs[0]!.replay}`];
    }),
  ];
}
