/**
 * `fleetflow simulate allocate | scale-out | scale-in | replace | restore-data | recover`: a compute or
 * data workflow against a simulated account (options declared in lib/cli/commands/simulate.ts). Allocate starts from an empty account (no instance, no database)
 * unless --hosts is given; the others from the usual fleet.
 */
import { progressOutput } from './live-block';
import { parseComputeInput } from '../../lambdas/domain/compute-input';
import { parseReplaceDatabaseInput } from '../../lambdas/domain/replace-database-input';
import { showValue } from '../../lambdas/domain/environment/input-guards';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { InvalidInputError } from '../../lambdas/domain/contract/errors';
import { InvalidFaultError, noFaults, parseFaults } from '../simulator/faults';
import { faultScope, seedAccount } from '../simulator/fleet';
import { simulateExecutions, type SimulationReport } from '../simulator/simulate';
import { formatHumanSummary } from './summary';
import { checkPointInTime, simulatedRestoreWindow } from './commands/restore-window';
import { checkReportFile } from './commands/report-file';
import { writeRunReport } from '../report/index';
import type { Command } from 'commander';
import { capturedFleet } from './commands/fleet-option';

export type ComputeCommand = 'allocate' | 'scale-out' | 'scale-in' | 'replace' | 'restore-data' | 'recover' | 'replace-database';

/** The options of a compute command, as lib/cli/commands/simulate.ts declares them (each command only its own). */
export interface ComputeValues {
  readonly env: string;
  readonly hosts?: string;
  readonly fault: readonly string[];
  readonly json?: boolean;
  readonly tiers?: string;
  readonly release?: string;
  readonly tier?: string;
  readonly add?: string;
  readonly remove?: string;
  readonly targets?: string;
  readonly mode?: string;
  readonly database?: string;
  readonly source?: string;
  readonly reason?: string;
  readonly report?: string;
  readonly instanceClass?: string;
  readonly allocatedStorage?: string;
  readonly engineVersion?: string;
  readonly switchoverTimeout?: string;
  readonly maxLag?: string;
  readonly parameterGroup?: string;
  readonly fleet?: string;
}

/**
 * The fault kinds a workflow takes, where it takes fewer than every kind: scale-in installs
 * nothing, launches nothing, touches no database and reads no alarm, so patch-fail:web-1 or
 * launch-fail:web would inject nothing and the run would look as if it had survived them. The
 * kinds are those its campaign draws (lib/simulator/campaign.ts kindsFor, resumeKindsFor,
 * truthKindsFor), and the protections and Auto Scaling membership its planner refuses; its help lists them.
 */
export const WORKFLOW_FAULT_KINDS: Partial<Record<ComputeCommand, readonly string[]>> = {
  // protected and asg besides: what Plan Scale In refuses before the lock (lambdas/compute/retire-guards.ts).
  'scale-in': ['drain-stuck', 'down', 'drained', 'stop', 'terminate', 'throttle', 'error', 'lock', 'unlock-throttle', 'restart', 'protected', 'asg'],
};

/** Refuses, in one line before anything runs, a fault of a kind the workflow does not take. */
function refuseFaultsNotTaken(workflow: ComputeCommand, specs: readonly string[]): void {
  const taken = WORKFLOW_FAULT_KINDS[workflow];
  if (!taken) return;
  const other = specs.find((spec) => !taken.includes(spec.split(':')[0]!));
  if (other !== undefined) {
    throw new InvalidFaultError(`--fault ${showValue(other, 60)}: simulate ${workflow} does not take ${showValue(other.split(':')[0]!, 40)} faults; it takes ${taken.join(', ')}`);
  }
}

/**
 * Runs a compute or data workflow; returns the exit status. Every refusal (InvalidInputError,
 * InvalidEnvironmentError, InvalidFaultError) is thrown before anything is synthesized or run.
 */
export async function computeCommand(workflow: ComputeCommand, values: ComputeValues, command?: Command): Promise<number> {
  const hosts = values.hosts === undefined ? undefined : wholeNumber('--hosts', values.hosts, 1, 20_000);
  const input = inputOf(workflow, values);
  // The input is checked as the workflow's planner checks it, so a bad option runs nothing.
  if (workflow === 'replace-database') parseReplaceDatabaseInput(input);
  else parseComputeInput(workflow, input);
  checkReportFile(values.report);
  const environment = loadEnvironmentFile(values.env);
  // --fleet: the account as a capture found it (it may have lost hosts or its database, or not).
  const fleet = capturedFleet(values.fleet, environment, command);
  // Faults name hosts (also ones the run will launch), tiers and zones: checked before anything is synthesized.
  // Allocate and recover start from an account that lost its instances (recover: its database too, not its snapshots).
  const empty = (workflow === 'allocate' || workflow === 'recover') && hosts === undefined && fleet === undefined;
  let faults = noFaults();
  if (values.fault.length > 0) {
    refuseFaultsNotTaken(workflow, values.fault);
    const seeded = seedAccount(environment, noFaults(), { hostsPerTier: hosts ?? 2, empty, ...(fleet ? { fleet } : {}) });
    faults = parseFaults(values.fault, new Set([...seeded.hosts.values()].map((h) => h.name)), new Set(seeded.alarms.keys()), undefined, faultScope(environment));
  }
  // A point in time outside the restorable window is refused here, as Plan Restore Data would, before an execution starts.
  const source = input.source;
  if (workflow === 'restore-data' && typeof source === 'object' && source !== null && 'pointInTime' in source) {
    const window = await simulatedRestoreWindow(environment, faults, hosts, fleet);
    if (window) checkPointInTime(String(source.pointInTime), window);
  }
  const progress = values.json ? process.stderr : process.stdout;
  // On a terminal, a live block of the tiers below the lines; elsewhere the lines alone.
  const output = progressOutput(progress, values.json === true);
  const { reports } = await simulateExecutions({
    environment,
    input,
    workflow,
    empty,
    // Restoring from a snapshot: the account lost its instances but kept the database's snapshots.
    keepSnapshots: empty && (values.database === 'latest-snapshot' || workflow === 'recover'),
    ...(hosts !== undefined ? { hostsPerTier: hosts } : {}),
    ...(fleet ? { fleet } : {}),
    faults: [...values.fault],
    executions: [{ input }],
    prepare: output.watch,
    onProgress: output.onProgress,
  }).finally(output.finish);
  // With restart:SECONDS the execution started again is the one that tells how it ended.
  const report = reports.at(-1)!;
  if (values.report !== undefined) writeRunReport(report, values.report);
  if (values.json) process.stdout.write(`${JSON.stringify(withoutRealTime(report), null, 2)}\n`);
  else process.stdout.write(formatHumanSummary(report));
  return report.status === 'SUCCEEDED' ? 0 : 1;
}

/** The execution input of a compute or data workflow from its options (also `plan --workflow`'s: `command` names who asks). */
export function inputOf(workflow: ComputeCommand, values: Omit<ComputeValues, 'env' | 'fault'>, command = `simulate ${workflow}`): Record<string, unknown> {
  switch (workflow) {
    case 'allocate': {
      const tiers = values.tiers === undefined ? undefined : Object.fromEntries(String(values.tiers).split(',').map((pair) => {
        const match = /^([a-z][a-z0-9-]{0,31})=(\d{1,5})$/.exec(pair);
        if (!match) throw new InvalidInputError(`--tiers must be TIER=N,... such as web=2,middle=2 (received ${showValue(pair)})`);
        return [match[1]!, Number(match[2])];
      }));
      return {
        ...(tiers ? { tiers } : {}),
        ...(values.release !== undefined ? { release: values.release } : {}),
        ...(values.database !== undefined ? { database: values.database } : {}),
      };
    }
    case 'scale-out':
      if (values.tier === undefined || values.add === undefined) throw new InvalidInputError(`${command} needs --tier TIER and --add N`);
      return { tier: values.tier, add: wholeNumber('--add', String(values.add), 1, 5_000) };
    case 'scale-in':
      if (values.tier === undefined || values.remove === undefined) throw new InvalidInputError(`${command} needs --tier TIER and --remove N`);
      return { tier: values.tier, remove: wholeNumber('--remove', String(values.remove), 1, 5_000) };
    case 'replace': {
      if (values.targets === undefined) throw new InvalidInputError(`${command} needs --targets HOST,... or --targets unhealthy`);
      const targets = values.targets === 'unhealthy' ? 'unhealthy' : String(values.targets).split(',').filter(Boolean);
      return { targets, ...(values.tier !== undefined ? { tier: values.tier } : {}), ...(values.mode !== undefined ? { mode: values.mode } : {}) };
    }
    case 'restore-data':
      if (values.source === undefined) throw new InvalidInputError(`${command} needs --source latest, latest-snapshot, a snapshot identifier, or an ISO-8601 time`);
      return { source: sourceOf(String(values.source)), ...(values.reason !== undefined ? { reason: values.reason } : {}) };
    case 'recover':
      return {
        ...(values.source !== undefined ? { source: sourceOf(String(values.source)) } : {}),
        ...(values.release !== undefined ? { release: values.release } : {}),
      };
    case 'replace-database':
      return {
        ...(values.instanceClass !== undefined ? { instanceClass: values.instanceClass } : {}),
        ...(values.allocatedStorage !== undefined ? { allocatedStorage: wholeNumber('--allocated-storage', String(values.allocatedStorage), 20, 65_536) } : {}),
        ...(values.engineVersion !== undefined ? { engineVersion: values.engineVersion } : {}),
        ...(values.parameterGroup !== undefined ? { parameterGroup: values.parameterGroup } : {}),
        ...(values.switchoverTimeout !== undefined ? { switchoverTimeoutSeconds: wholeNumber('--switchover-timeout', String(values.switchoverTimeout), 30, 3600) } : {}),
        ...(values.maxLag !== undefined ? { maxLagSeconds: lagSeconds(String(values.maxLag)) } : {}),
      };
  }
}

/** --source: "latest", "latest-snapshot", a time (it starts with a digit: snapshot identifiers start with a letter), or a snapshot identifier. */
function sourceOf(text: string): unknown {
  return /^\d/.test(text) ? { pointInTime: text } : text;
}

/** --max-lag: 0-600 seconds, in decimal digits (0 allowed: the green must have fully caught up). */
function lagSeconds(text: string): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text) || Number(text) > 600) throw new InvalidInputError(`--max-lag must be a whole number of seconds from 0 to 600 (received ${showValue(text)})`);
  return Number(text);
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InvalidInputError(`${option} must be a whole number from ${min} to ${max}, in decimal digits (received ${showValue(text)})`);
  }
  return Number(text);
}

function withoutRealTime(report: SimulationReport): Omit<SimulationReport, 'realTimeMs'> {
  const { realTimeMs: _realTime, ...rest } = report;
  return rest;
}
