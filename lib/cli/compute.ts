/**
 * `fleetflow simulate allocate | scale-out | replace`: a compute workflow against a
 * simulated account. Allocate starts from an empty account (no instance, no database)
 * unless --hosts is given; the others from the usual fleet.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseComputeInput } from '../../lambdas/domain/compute-input';
import { showValue } from '../../lambdas/domain/environment/input-guards';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { InvalidInputError } from '../../lambdas/domain/contract/errors';
import { noFaults, parseFaults } from '../simulator/faults';
import { faultScope, seedAccount } from '../simulator/fleet';
import { simulateExecutions, type SimulationReport } from '../simulator/simulate';
import { formatHumanSummary } from './summary';

const DEFAULT_ENV = fileURLToPath(new URL('../../environments/canonical.json', import.meta.url));

export type ComputeCommand = 'allocate' | 'scale-out' | 'replace' | 'restore-data' | 'recover';

export class ComputeUsageError extends Error {
  override readonly name = 'ComputeUsageError';
}

export const COMPUTE_USAGE = `  fleetflow simulate allocate [--env FILE] [--tiers TIER=N,...] [--release VERSION] [--hosts N]
                             [--database create|latest-snapshot] [--fault KIND:TARGET]... [--json]
      Build the environment's hosts (and database) on an empty simulated account (or,
      with --hosts, one with N hosts per tier already), each tier to its declared count;
      --database latest-snapshot: the account kept the database's snapshots, and the
      database is restored from the newest one instead of created empty.
  fleetflow simulate scale-out --tier TIER --add N [--env FILE] [--hosts N] [--fault ...] [--json]
  fleetflow simulate replace --targets HOST,...|unhealthy [--tier TIER] [--mode standard|disaster-recovery]
                             [--env FILE] [--hosts N] [--fault ...] [--json]
      Compute faults: launch-fail:TIER[@AZ] | boot-fail:HOST | ssm-unmanaged:HOST
               | prerequisite-fail:HOST | missing-target-group:TIER (HOST may be one the
               run launches: web-3 is the third web host)
               | listener-missing:TIER | sg-blocked:TIER (nothing forwards to the tier's target
               groups; its load balancer may not reach the hosts: allocate, scale-out)
               | certificate-expiring:TIER | certificate-pending:TIER | record-missing:TIER (its
               HTTPS listener's ACM certificate expires in hours or awaits validation; its
               declared records are gone from the hosted zone: allocate, scale-out)
               | restart:SECONDS (StopExecution at SECONDS, then the same input started again)
               | throttle:rds@SECONDS+DURATION (every RDS call in that window)
      --json reports launched, terminated, stopped and orphans besides the usual fields.
  fleetflow simulate restore-data --source latest|latest-snapshot|SNAPSHOT|TIME [--reason TEXT] [--env FILE] [--hosts N]
                             [--fault ...] [--json]
      Restore the database into a new instance (from its latest restorable time or newest snapshot, a snapshot by
      identifier, or an ISO-8601 point in time such as 2026-11-29T09:00:00Z), check it from a
      middle host, repoint every host that uses it in rolling batches, bake, record it.
  fleetflow simulate recover [--source latest|latest-snapshot|SNAPSHOT|TIME] [--release VERSION] [--env FILE] [--fault ...] [--json]
      Disaster recovery on an account that lost every instance and the database but kept its
      snapshots: allocate, restore the data, release the recorded release.
      Data faults: restore-fail | restored-db-invalid | reconfigure-fail:HOST | no-snapshot
      --json adds newDatabase, oldDatabase, hostsOnDatabase (and for recover recoveryPointTime,
      recoveryTimeSeconds) to the usual fields.
`;

export async function computeCommand(workflow: ComputeCommand, args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      env: { type: 'string', default: DEFAULT_ENV },
      hosts: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      tiers: { type: 'string' },
      release: { type: 'string' },
      tier: { type: 'string' },
      add: { type: 'string' },
      targets: { type: 'string' },
      mode: { type: 'string' },
      database: { type: 'string' },
      source: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  const allowed: Record<ComputeCommand, string[]> = {
    allocate: ['tiers', 'release', 'database'],
    'scale-out': ['tier', 'add'],
    replace: ['targets', 'tier', 'mode'],
    'restore-data': ['source', 'reason'],
    recover: ['source', 'release'],
  };
  for (const option of ['tiers', 'release', 'tier', 'add', 'targets', 'mode', 'database', 'source', 'reason'] as const) {
    if (values[option] !== undefined && !allowed[workflow].includes(option)) throw new ComputeUsageError(`--${option} is not an option of simulate ${workflow}`);
  }
  const hosts = values.hosts === undefined ? undefined : wholeNumber('--hosts', values.hosts, 1, 20_000);
  const input = inputOf(workflow, values);
  try {
    parseComputeInput(workflow, input);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new ComputeUsageError(err.message);
    throw err;
  }
  const environment = loadEnvironmentFile(values.env);
  // Faults name hosts (also ones the run will launch), tiers and zones: checked before anything is synthesized.
  // Allocate and recover start from an account that lost its instances (recover: its database too, not its snapshots).
  const empty = (workflow === 'allocate' || workflow === 'recover') && hosts === undefined;
  if (values.fault.length > 0) {
    const fleet = seedAccount(environment, noFaults(), { hostsPerTier: hosts ?? 2, empty });
    parseFaults(values.fault, new Set([...fleet.hosts.values()].map((h) => h.name)), new Set(fleet.alarms.keys()), undefined, faultScope(environment));
  }
  const progress = values.json ? process.stderr : process.stdout;
  const { reports } = await simulateExecutions({
    environment,
    input,
    workflow,
    empty,
    // Restoring from a snapshot: the account lost its instances but kept the database's snapshots.
    keepSnapshots: empty && (values.database === 'latest-snapshot' || workflow === 'recover'),
    ...(hosts !== undefined ? { hostsPerTier: hosts } : {}),
    faults: values.fault,
    executions: [{ input }],
    onProgress: (line) => progress.write(`${line}\n`),
  });
  // With restart:SECONDS the execution started again is the one that tells how it ended.
  const report = reports.at(-1)!;
  if (values.json) process.stdout.write(`${JSON.stringify(withoutRealTime(report), null, 2)}\n`);
  else process.stdout.write(formatHumanSummary(report));
  return report.status === 'SUCCEEDED' ? 0 : 1;
}

function inputOf(workflow: ComputeCommand, values: Record<string, unknown>): Record<string, unknown> {
  switch (workflow) {
    case 'allocate': {
      const tiers = values.tiers === undefined ? undefined : Object.fromEntries(String(values.tiers).split(',').map((pair) => {
        const match = /^([a-z][a-z0-9-]{0,31})=(\d{1,5})$/.exec(pair);
        if (!match) throw new ComputeUsageError(`--tiers must be TIER=N,... such as web=2,middle=2 (received ${showValue(pair)})`);
        return [match[1]!, Number(match[2])];
      }));
      return {
        ...(tiers ? { tiers } : {}),
        ...(values.release !== undefined ? { release: values.release } : {}),
        ...(values.database !== undefined ? { database: values.database } : {}),
      };
    }
    case 'scale-out':
      if (values.tier === undefined || values.add === undefined) throw new ComputeUsageError('simulate scale-out needs --tier TIER and --add N');
      return { tier: values.tier, add: wholeNumber('--add', String(values.add), 1, 5_000) };
    case 'replace': {
      if (values.targets === undefined) throw new ComputeUsageError('simulate replace needs --targets HOST,... or --targets unhealthy');
      const targets = values.targets === 'unhealthy' ? 'unhealthy' : String(values.targets).split(',').filter(Boolean);
      return { targets, ...(values.tier !== undefined ? { tier: values.tier } : {}), ...(values.mode !== undefined ? { mode: values.mode } : {}) };
    }
    case 'restore-data':
      if (values.source === undefined) throw new ComputeUsageError('simulate restore-data needs --source latest, latest-snapshot, a snapshot identifier, or an ISO-8601 time');
      return { source: sourceOf(String(values.source)), ...(values.reason !== undefined ? { reason: values.reason } : {}) };
    case 'recover':
      return {
        ...(values.source !== undefined ? { source: sourceOf(String(values.source)) } : {}),
        ...(values.release !== undefined ? { release: values.release } : {}),
      };
  }
}

/** --source: "latest", a time (it starts with a digit: snapshot identifiers start with a letter), or a snapshot identifier. */
function sourceOf(text: string): unknown {
  return /^\d/.test(text) ? { pointInTime: text } : text;
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ComputeUsageError(`${option} must be a whole number from ${min} to ${max}, in decimal digits (received ${showValue(text)})`);
  }
  return Number(text);
}

function withoutRealTime(report: SimulationReport): Omit<SimulationReport, 'realTimeMs'> {
  const { realTimeMs: _realTime, ...rest } = report;
  return rest;
}
