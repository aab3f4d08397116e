/**
 * A simulated deployment: the synthesized state machine runs in aws-local-stepfunctions,
 * each Lambda task calls the real handler in-process, the handlers' SDK clients are
 * answered by a simulated account, and all of it runs on a virtual clock.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { type SimulatedAccount, MIGRATION_SECONDS, QUICK_COMMAND_SECONDS, SNAPSHOT_SECONDS, SSM_DELIVERY_SECONDS, drainBoundSeconds, drainCheckOf } from './account';
import { CapacityRecorder } from './capacity';
import { restoreLowerBoundSeconds, computeLowerBoundSeconds, surgeOverheadSeconds, protectionReadSeconds, plannedProtectionReads } from './compute-bound';
import type { ComputePlan } from '../../lambdas/domain/contract/payloads';
import { captureDatabases, dataReport, type DataReport, type DatabasesBefore } from './data-report';
import { replaceDatabaseFields, type ReplaceDatabaseReport, type ReplacedOldDatabase } from './replace-database-report';
import { stateMachineArn, synthesizeLocalWorkflows, type AslDefinition, type LocalStateMachine, type LocalWorkflows } from './definition';
import { newFigures, record, type ExecutionFigures, type StateKinds } from './history';
import { databaseParameterName, releaseParameterName } from '../../lambdas/domain/contract/records';
import { batchKey } from '../../lambdas/shared/plan-store';
import { EVENT_BUS_ENV } from '../../lambdas/domain/contract/batch-events';
import { CREATED_BY_TAG, INSTALL_SENT_TAGS, LAUNCHED_BY_TAG, RESTORED_FROM_TAG, RETIRED_BY_TAG } from '../../lambdas/domain/contract/tags';
import { faultOutcomes, noFaults, parseFaults, RESTART_GAP_SECONDS, restartOf, surgeOldHosts, type FaultOutcome } from './faults';
import { APPROVER_RESPONSE_SECONDS, callIntegration, IntegrationError } from './integrations';
import type { FleetFile } from '../capture/fleet-file';
import { faultScope, LOCK_TABLE_NAME, PLAN_TABLE_NAME, seedAccount, SIM_ACCOUNT_ID, SIM_REGION, RELEASE_TAG } from './fleet';
import { attachSimulator } from './intercept';
import { runWithTimeout } from './lambda-runtime';
import { describeEvent, formatElapsed, type ExecutionEvent, type ProgressContext } from './progress';
import { buildTimeline, keepPhases, MAX_TIMELINE_PHASES, MAX_TIMELINE_STEPS, type Timeline } from './timeline';
import { sharedStateMachine } from './map-semantics';
import { runOnVirtualClock } from './virtual-clock';

/** Microtask turns the event log needs to deliver what the engine dispatched. */
const EVENT_LOG_CATCH_UP_TICKS = 64;
const LAMBDAS_DIR = new URL('../../lambdas/', import.meta.url);
/** Tuesday 2026-01-06 03:00 UTC: a release window. Fixed, so every run is reproducible. */
export const SIMULATION_EPOCH = Date.UTC(2026, 0, 6, 3, 0, 0);

/** When the simulation starts: a captured fleet's capture instant (its times are the account's), else SIMULATION_EPOCH. */
export function simulationEpoch(options: { readonly fleet?: FleetFile }): number {
  return options.fleet ? Date.parse(options.fleet.capturedAt) : SIMULATION_EPOCH;
}

export interface ExecutionRequest {
  /** Execution input; normally `{ release }`. */
  readonly input: unknown;
  readonly name?: string;
  /** Virtual seconds after the simulation starts. @default 0 */
  readonly startAfterSeconds?: number;
  /** StopExecution this many virtual seconds after the execution started. */
  readonly stopAfterSeconds?: number;
  /** Another workflow than the options' (several workflows against one account: the lock they share). */
  readonly workflow?: SimulatedWorkflow;
}

export interface SimulateOptions {
  readonly environment: EnvironmentDefinition;
  /** Execution input; normally `{ release }`. */
  readonly input: unknown;
  readonly faults?: readonly string[];
  readonly hostsPerTier?: number;
  readonly initialRelease?: string;
  readonly executionName?: string;
  /** Receives one line per step a person would want to see. */
  readonly onProgress?: (line: string) => void;
  /** Changes the seeded account before anything runs (e.g. a stale lock). */
  readonly prepare?: (account: SimulatedAccount) => void;
  /** Which workflow the executions start. @default "deploy" */
  readonly workflow?: SimulatedWorkflow;
  /** Seed no instances and no database (a fresh environment, or one that lost everything). */
  readonly empty?: boolean;
  /** With `empty`: the database's automated snapshots survive. */
  readonly keepSnapshots?: boolean;
  /** Seed the account from a captured fleet (`--fleet`; fleet.ts) instead of generating one. */
  readonly fleet?: FleetFile;
  /** Count every host's capacity the slow way too, at every observation, and fail on a difference (tests of capacity.ts). */
  readonly verifyCapacity?: boolean;
}

export const SIMULATED_WORKFLOWS = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover', 'replace-database'] as const;
export type SimulatedWorkflow = (typeof SIMULATED_WORKFLOWS)[number];

/** What a compute workflow did to the account's instances. */
export interface ComputeReport {
  /** Hosts this execution launched (tag fleetflow:launched-by). */
  readonly launched: string[];
  /** Hosts terminated, or stopped, during the run. */
  readonly terminated: string[];
  readonly stopped: string[];
  /** Launched by this execution, yet neither in service nor terminated or stopped on purpose; and restored DB instances another execution left behind. Must be empty. */
  readonly orphans: string[];
  /** Instance-hours beyond running the starting fleet for the run's length (a surge's cost; negative never). */
  readonly extraInstanceHours: number;
}

export interface HostReport {
  readonly name: string;
  readonly id: string;
  readonly tier: string;
  /** Release actually installed on the host. */
  readonly version: string;
  /** Release FleetFlow recorded on the host (tag). */
  readonly recordedVersion: string;
  readonly halfInstalled: boolean;
  readonly inService: boolean;
  /** The release FleetFlow recorded an install of as sent but never confirmed (tag fleetflow:installing). */
  readonly installSent?: string[];
}

export interface SimulationReport {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly error?: string;
  readonly cause?: string;
  readonly environment: string;
  readonly release?: string;
  readonly executionName: string;
  readonly hosts: HostReport[];
  readonly minInService: Record<string, number>;
  readonly minHealthyRequired: Record<string, number>;
  readonly makespanSeconds: number;
  readonly lowerBoundSeconds: number;
  /** State transitions of the execution and every child execution it started. */
  readonly stateTransitions: number;
  /** Lambda GB-seconds of the run's handlers (every execution against the account; `lambdaUseOf`). */
  readonly lambdaGbSeconds: number;
  /** History events of the execution started (the parent). */
  readonly historyEvents: number;
  /** The largest history of any execution of the run, parent or child (quota 25,000). */
  readonly maxHistoryEvents: number;
  /** Child executions the run started (rollout segments). */
  readonly childExecutions: number;
  readonly largestPayloadBytes: number;
  readonly apiCalls: number;
  readonly throttledCalls: number;
  readonly faults: string[];
  /**
   * Each fault given and whether it took effect while the run went on; one that never did
   * (`applied: false`, with why) was not tested by the run: a host the workflow never
   * installed on, a state never entered, a time after the end. `restart:` as `restart` says.
   */
  readonly faultOutcomes: FaultOutcome[];
  readonly realTimeMs: number;
  readonly output?: unknown;
  readonly component: string;
  /** The pre-migration snapshot, when one was taken. */
  readonly snapshot: string | null;
  readonly validation: { status: 'PASSED' | 'FAILED' | 'NOT_RUN'; reason?: string };
  /** True when the whole release was rolled back and the environment validated again. */
  readonly rolledBack: boolean;
  readonly dbAvailableThroughout: boolean;
  /** The release recorded as current for the component after the run. */
  readonly recordedRelease: string | null;
  /** Notifications the execution published, in order. */
  readonly notifications: string[];
  /** Events put on the bus for this execution (its notifications and its batches' progress), counted per detail type. */
  readonly events: Record<string, number>;
  /** Which workflow ran. */
  readonly workflow: SimulatedWorkflow;
  /** Compute workflows (allocate, scale-out, replace): what they launched, retired and left behind. */
  readonly compute?: ComputeReport;
  /** Data workflows (restore-data, recover): the new and old databases, and which one each host uses. */
  readonly newDatabase?: DataReport['newDatabase'];
  readonly oldDatabase?: DataReport['oldDatabase'] | ReplacedOldDatabase;
  readonly hostsOnDatabase?: DataReport['hostsOnDatabase'];
  /** Recover: the time of the data restored, and the virtual seconds from start to validated. */
  readonly recoveryPointTime?: string;
  readonly recoveryTimeSeconds?: number;
  /** replace-database: what the switchover did (replace-database-report.ts). */
  readonly replaceDatabase?: ReplaceDatabaseReport;
  /** Each batch's phases, the workflow's steps and each tier's in-service count over time (bounded: timeline.ts). */
  readonly timeline: Timeline;
  /** `restart:SECONDS`: whether the execution was stopped and started again (then makespan and bound are the whole run's). */
  readonly restart?: RestartReport;
}

interface PlanView {
  release: string;
  /** A release window with nothing new queued: recorded, nothing else done. */
  upToDate?: boolean;
  database?: unknown;
  validation?: { bakeSeconds: number; approval: { required: boolean } };
  tiers: Array<{
    spec: {
      name: string;
      minHealthy: number;
      healthyAfterSeconds: number;
      traffic: { kind: string; ports?: number[] };
      drainCheck?: { timeoutSeconds: number };
      surge?: { setup: ReadonlyArray<{ purpose: string }>; pipeline?: boolean };
    };
    batchCount: number;
    keyPrefix: string;
    /** The rollout children's runs of batches: a pipelined surge prepares a batch only from the one before it in its segment. */
    segments?: ReadonlyArray<{ first: number; last: number }>;
  }>;
}

const machineCache = new Map<string, LocalWorkflows>();

export async function simulateDeploy(options: SimulateOptions): Promise<SimulationReport> {
  const { reports } = await simulateExecutions({ ...options, executions: [{ input: options.input, name: options.executionName }] });
  // With restart:SECONDS applied, the execution started again is the one that tells how it ended.
  return reports.at(-1)!;
}

/** What `restart:SECONDS` did to a run (the last report carries it). */
export interface RestartReport {
  /** SECONDS of `restart:SECONDS`: when the operator stops the execution, after its start. */
  readonly stopAfterSeconds: number;
  /** Whether the execution was still running then: only then was it stopped and started again. */
  readonly applied: boolean;
  /** Applied: the execution stopped (ABORTED) and the one started again with the same input. Not applied: when the execution had ended. */
  readonly stoppedExecution?: string;
  readonly startedAgainAtSeconds?: number;
  readonly endedAtSeconds?: number;
}

/**
 * `restart:SECONDS` on a simulation of one execution: what an operator does who stops a run
 * and starts it again. StopExecution "Stops an execution" (Step Functions API Reference,
 * StopExecution): one that is still RUNNING at SECONDS ends ABORTED there, and the same input
 * is started again RESTART_GAP_SECONDS later (named `<name>-again`). One that has already
 * ended (SUCCEEDED or FAILED) has nothing to stop: it stays the run's only execution, and the
 * progress says the restart was not applied. Several executions are left as they are (the
 * fault is for one execution).
 */
function restartFor(executions: readonly ExecutionRequest[], faults: readonly string[]): { stopAt: number; first: ExecutionRequest; again: ExecutionRequest } | undefined {
  const stopAt = restartOf(faults);
  if (stopAt === undefined || executions.length !== 1) return undefined;
  const [given] = executions as [ExecutionRequest];
  const first = { ...given, name: given.name ?? 'sim-1', stopAfterSeconds: undefined };
  return { stopAt, first, again: { ...first, name: `${first.name}-again` } };
}

export interface SimulationResult {
  readonly reports: SimulationReport[];
  /** Every event of each execution started (the parents; a child's events are in `childEvents`). */
  readonly events: ExecutionEvent[][];
  /**
   * Per execution started, the events of every child execution it led to (rollout
   * segments, in the order they started), each child its own history as in AWS.
   */
  readonly childEvents: ExecutionEvent[][][];
  readonly account: SimulatedAccount;
}

/** Runs several executions of the same state machine against one simulated account. */
export async function simulateExecutions(given: SimulateOptions & { executions: ExecutionRequest[] }): Promise<SimulationResult> {
  const restart = restartFor(given.executions, given.faults ?? []);
  // With a restart, room for the execution started again; dropped below when the first had ended.
  const options = { ...given, executions: restart ? [restart.first, restart.again] : given.executions };
  const realStart = performance.now();
  const key = JSON.stringify(options.environment);
  const synthesized = machineCache.get(key) ?? (await synthesizeLocalWorkflows(options.environment));
  machineCache.set(key, synthesized);
  const workflow = options.workflow ?? 'deploy';
  const entry = synthesized.byArn.get(stateMachineArn(`fleetflow-${options.environment.name}-${workflow}`));
  if (!entry) throw new Error(`the synthesized stack has no ${workflow} workflow`);
  const machine: LocalWorkflows = { entry, byArn: synthesized.byArn };

  const restoreEnv = useSimulatedAwsEnvironment();
  const { allClients } = await import(new URL('shared/clients.ts', LAMBDAS_DIR).href);
  const handlers = await loadHandlers(machine);
  try {
    await warmUpClients(allClients, options.environment);
    const faults = options.faults ?? [];
    const events: ExecutionEvent[][] = options.executions.map(() => []);
    const childEvents: ExecutionEvent[][][] = options.executions.map(() => []);
    const figures: ExecutionFigures[][] = options.executions.map(() => []);
    const epoch = simulationEpoch(options);
    const names = options.executions.map((e, i) => e.name ?? `sim-${i + 1}-${new Date(epoch).toISOString().replace(/[:.]/g, '-')}`);
    let account!: SimulatedAccount;
    let capacity!: CapacityRecorder;
    let startStates = new Map<string, string>();
    let databasesBefore!: DatabasesBefore;
    let fired = new Map<string, number>();

    const results = await runOnVirtualClock(
      epoch,
      async () => {
        account = seedFor(options, faults, machine, synthesized);
        options.prepare?.(account);
        startStates = new Map([...account.hosts.values()].map((h) => [h.id, h.state]));
        databasesBefore = captureDatabases(account);
        capacity = new CapacityRecorder(account, options.verifyCapacity);
        const detach = attachSimulator(allClients, account);
        const start = (i: number, control: ExecutionControl, clockOrigin?: number) => {
          const request = options.executions[i]!;
          const run: Run = { workflows: machine, handlers, account, figures: figures[i]!, childEvents: childEvents[i]!, onProgress: options.onProgress, clockOrigin };
          const entryOf = request.workflow ? synthesized.byArn.get(stateMachineArn(`fleetflow-${options.environment.name}-${request.workflow}`)) : machine.entry;
          if (!entryOf) throw new Error(`the synthesized stack has no ${request.workflow} workflow`);
          return execute(run, entryOf, request.input, names[i]!, events[i]!, control);
        };
        try {
          if (restart) return await runRestarted(restart, start, options.onProgress);
          return await Promise.all(
            options.executions.map(async (request, i) => {
              if (request.startAfterSeconds) await new Promise((r) => setTimeout(r, request.startAfterSeconds! * 1000));
              const control: ExecutionControl = {};
              if (request.stopAfterSeconds !== undefined) setTimeout(() => control.stop?.(), request.stopAfterSeconds * 1000);
              return start(i, control);
            }),
          );
        } finally {
          account.settle();
          detach();
          // What fired on the run's clock: what the report reads afterwards (a host's service at the end) is no firing.
          fired = new Map(account.firedFaults);
        }
      },
      () => account?.settle(),
    );
    if (capacity.mismatches.length > 0) throw new Error(`incremental capacity differs from counting every host:\n${capacity.mismatches.slice(0, 5).join('\n')}`);
    const hostsAtStart = startStates;
    // A restart that was not applied: the run is its first execution alone.
    for (const list of [options.executions, events, childEvents, figures, names] as unknown[][]) list.length = results.length;
    const reports = results.map((result, i) =>
      buildReport({
        hostsAtStart,
        databasesBefore,
        options,
        input: options.executions[i]!.input,
        executionName: names[i]!,
        events: events[i]!,
        childEvents: childEvents[i]!,
        figures: figures[i]!,
        account,
        capacity,
        result,
        realStart,
        faults: [...faults],
      }),
    );
    if (restart) reports[reports.length - 1] = wholeRun(reports, events, restart.stopAt);
    const outcomes = runFaultOutcomes(faults, fired, events, account, reports.at(-1)!.restart);
    for (const [i, report] of reports.entries()) reports[i] = { ...report, faultOutcomes: outcomes };
    return { reports, events, childEvents, account };
  } finally {
    restoreEnv();
  }
}

/**
 * Runs `restart:SECONDS` on the virtual clock: the first execution, stopped at SECONDS only if
 * it is still running then, and if so the same input started again RESTART_GAP_SECONDS later.
 * Every line of both is stamped from the first start: one run, one clock.
 */
async function runRestarted(
  restart: NonNullable<ReturnType<typeof restartFor>>,
  start: (i: number, control: ExecutionControl, clockOrigin?: number) => Promise<ExecutionResult>,
  onProgress: ((line: string) => void) | undefined,
): Promise<ExecutionResult[]> {
  if (restart.first.startAfterSeconds) await new Promise((r) => setTimeout(r, restart.first.startAfterSeconds! * 1000));
  const origin = Date.now();
  const stamp = () => `[${formatElapsed(Date.now() - origin)}]`;
  const control: ExecutionControl = {};
  let stopped = false;
  const timer = setTimeout(() => {
    stopped = control.stop?.() ?? false;
    if (stopped) onProgress?.(`${stamp()} execution stopped (StopExecution, restart:${restart.stopAt}); starting it again with the same input at ${formatElapsed((restart.stopAt + RESTART_GAP_SECONDS) * 1000)}`);
  }, restart.stopAt * 1000);
  const first = await start(0, control, origin);
  clearTimeout(timer);
  if (!stopped) {
    onProgress?.(`${stamp()} restart:${restart.stopAt} not applied: the execution had ended (${first.status}) at ${formatElapsed(Date.now() - origin)}`);
    return [first];
  }
  await new Promise((r) => setTimeout(r, Math.max(0, origin + (restart.stopAt + RESTART_GAP_SECONDS) * 1000 - Date.now())));
  onProgress?.(`${stamp()} execution started again as ${restart.again.name} (same input)`);
  return [first, await start(1, {}, origin)];
}

/**
 * The last report of a restarted run speaks for the whole run: its makespan runs from the first
 * execution's start to the last one's end, stop and pause included. Its lower bound is the
 * first execution's plan's: the work the run was asked for, which stopping and starting again
 * cannot shorten (what the first execution finished, it finished inside the whole run). The
 * second execution's own bound is no bound of anything: it counts again what the first had
 * already done or set going (a host already drained, a database already being created), which
 * is why it came out above that execution's time. A first execution stopped before its plan had
 * none: then the stop, the pause and the second execution's own bound.
 */
export function wholeRun(reports: readonly SimulationReport[], events: readonly ExecutionEvent[][], stopAt: number): SimulationReport {
  const last = reports.at(-1)!;
  if (reports.length === 1) {
    const endedAt = ((events[0]?.at(-1)?.timestamp ?? 0) - (events[0]?.[0]?.timestamp ?? 0)) / 1000;
    return { ...last, restart: { stopAfterSeconds: stopAt, applied: false, endedAtSeconds: endedAt } };
  }
  const start = events[0]?.[0]?.timestamp ?? 0;
  const end = events.at(-1)?.at(-1)?.timestamp ?? start;
  const planned = reports[0]!.lowerBoundSeconds;
  const union = (pick: (c: ComputeReport) => string[]) => [...new Set(reports.flatMap((r) => (r.compute ? pick(r.compute) : [])))];
  const serving = new Set(last.hosts.filter((h) => h.inService).map((h) => h.name));
  return {
    ...last,
    // Both executions' work: the hosts either launched that serve at the end (the stopped one's others were
    // terminated, and `terminated` already counts from the run's start), either's orphans that still serve
    // nothing at the run's end (the stopped one's report judged its hosts at its own end), their transitions.
    ...(last.compute ? { compute: { ...last.compute, launched: union((c) => c.launched).filter((name) => last.compute!.launched.includes(name) || serving.has(name)), orphans: union((c) => c.orphans).filter((name) => !serving.has(name)) } } : {}),
    stateTransitions: reports.reduce((n, r) => n + r.stateTransitions, 0),
    childExecutions: reports.reduce((n, r) => n + r.childExecutions, 0),
    maxHistoryEvents: Math.max(...reports.map((r) => r.maxHistoryEvents)),
    largestPayloadBytes: Math.max(...reports.map((r) => r.largestPayloadBytes)),
    makespanSeconds: (end - start) / 1000,
    lowerBoundSeconds: planned > 0 ? planned : stopAt + RESTART_GAP_SECONDS + last.lowerBoundSeconds,
    // The page (--report) and the JSON draw the same run: both executions, on the first start's clock.
    timeline: wholeRunTimeline(reports, events),
    restart: { stopAfterSeconds: stopAt, applied: true, stoppedExecution: reports[0]!.executionName, startedAgainAtSeconds: stopAt + RESTART_GAP_SECONDS },
  };
}

/**
 * The timeline of a restarted run: the stopped execution's phases and steps where they were, a
 * step for the time between its stop and the start again, then the second execution's, moved
 * by when it started; each execution's own timeline counts from its own start. The in-service
 * series is the first report's: the account's capacity is one recorder over the whole run, and
 * its series runs from the first start to the run's end. Bounded as each timeline is.
 */
export function wholeRunTimeline(reports: readonly SimulationReport[], events: readonly ExecutionEvent[][]): Timeline {
  const [first, second] = [reports[0]!.timeline, reports.at(-1)!.timeline];
  const start = events[0]?.[0]?.timestamp ?? 0;
  const stoppedAt = ((events[0]?.at(-1)?.timestamp ?? start) - start) / 1000;
  const offset = ((events.at(-1)?.[0]?.timestamp ?? start) - start) / 1000;
  const shift = <T extends { start: number; end: number }>(item: T): T => ({ ...item, start: item.start + offset, end: item.end + offset });
  const phases = [...first.phases, ...second.phases.map(shift)];
  const gap = { name: `stopped (StopExecution), started again as ${reports.at(-1)!.executionName}`, level: 0, start: stoppedAt, end: offset };
  const steps = [...first.steps, gap, ...second.steps.map(shift)];
  const kept = keepPhases(phases, MAX_TIMELINE_PHASES);
  return {
    phases: kept,
    steps: steps.slice(0, MAX_TIMELINE_STEPS),
    inService: first.inService,
    bounds: {
      ...second.bounds,
      phasesOmitted: first.bounds.phasesOmitted + second.bounds.phasesOmitted + phases.length - kept.length,
      stepsOmitted: first.bounds.stepsOmitted + second.bounds.stepsOmitted + Math.max(0, steps.length - MAX_TIMELINE_STEPS),
    },
  };
}

/**
 * Runs a bare state machine definition (no FleetFlow tasks) on the simulator's engine,
 * quotas included: how the simulator's own Step Functions behaviour is tested.
 */
export async function simulateDefinition(definition: AslDefinition, input: unknown): Promise<{ result: ExecutionResult; events: ExecutionEvent[]; figures: ExecutionFigures }> {
  const machine: LocalStateMachine = { name: 'fleetflow-quota-probe', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:fleetflow-quota-probe', definition, taskHandlers: new Map() };
  const events: ExecutionEvent[] = [];
  const figures: ExecutionFigures[] = [];
  const result = await runOnVirtualClock(SIMULATION_EPOCH, async () => {
    const account = seedAccount({ name: 'probe', tiers: [], validation: { alarms: [], alarmPrefixes: [], bakeSeconds: 0, approval: { required: false, timeoutSeconds: 60 }, onFailure: 'halt' }, releaseWindows: [], polling: { minSeconds: 2, maxSeconds: 30 } } as unknown as EnvironmentDefinition, noFaults());
    const run: Run = { workflows: { entry: machine, byArn: new Map([[machine.arn, machine]]) }, handlers: new Map([[machine.arn, new Map()]]), account, figures, childEvents: [] };
    return execute(run, machine, input, 'quota-probe', events);
  });
  return { result, events, figures: figures[0]! };
}

/**
 * Every fault's outcome for the whole run: fired on the run's clock, by its last event (a
 * `stop:web-2@900` due after a run that ended at 600 s never fired), and `restart:` as the runner did it.
 */
function runFaultOutcomes(
  faults: readonly string[],
  fired: ReadonlyMap<string, number>,
  events: readonly ExecutionEvent[][],
  account: SimulatedAccount,
  restart: RestartReport | undefined,
): FaultOutcome[] {
  const end = Math.max(0, ...events.map((list) => list.at(-1)?.timestamp ?? 0));
  const names = new Set([...account.hosts.values()].map((h) => h.name));
  const outcomes = faultOutcomes(faults, (key) => (fired.get(key) ?? Number.POSITIVE_INFINITY) <= end, (name) => names.has(name));
  const spec = faults.find((f) => f.startsWith('restart:'));
  if (spec === undefined) return outcomes;
  const restartOutcome: FaultOutcome = restart?.applied
    ? { fault: spec, applied: true }
    : {
        fault: spec,
        applied: false,
        reason: restart ? `the execution had ended at ${formatElapsed((restart.endedAtSeconds ?? 0) * 1000)}, before ${restart.stopAfterSeconds} s` : 'the run started several executions; restart is for one',
      };
  return [...outcomes, restartOutcome];
}

/**
 * The state machines a run can reach from its entries: each one's definition names the ARN of
 * every child it starts (startExecution.sync), as the rollout's segments and recover's parts.
 */
export function reachableMachines(entries: readonly LocalStateMachine[], byArn: ReadonlyMap<string, LocalStateMachine>): LocalStateMachine[] {
  const seen = new Map(entries.map((m) => [m.arn, m]));
  const queue = [...entries];
  while (queue.length > 0) {
    const text = JSON.stringify(queue.shift()!.definition);
    for (const other of byArn.values()) {
      if (!seen.has(other.arn) && text.includes(other.arn)) {
        seen.set(other.arn, other);
        queue.push(other);
      }
    }
  }
  return [...seen.values()];
}

function seedFor(options: SimulateOptions & { executions: readonly ExecutionRequest[] }, faults: readonly string[], workflows: LocalWorkflows, all: LocalWorkflows): SimulatedAccount {
  const account = seedAccount(options.environment, noFaults(), options);
  // Faults name hosts, alarms and task states: they are checked against the fleet and the workflows before anything runs.
  const hostNames = new Set([...account.hosts.values()].map((h) => h.name));
  // `error:STATE` may name only a task of the workflows this run starts (and their children): any other never runs.
  const entries = [workflows.entry, ...options.executions.flatMap((r) => (r.workflow ? [all.byArn.get(stateMachineArn(`fleetflow-${options.environment.name}-${r.workflow}`))!] : []))];
  const lambdaTasks = new Set(reachableMachines(entries, all.byArn).flatMap((m) => [...m.taskHandlers].filter(([, t]) => t.kind === 'lambda').map(([name]) => name)));
  const scope = faultScope(options.environment);
  // A release of surge tiers installs only on the hosts it launches: its old hosts are no target for install faults.
  const releases = (options.workflow ?? 'deploy') === 'deploy' && options.executions.every((r) => (r.workflow ?? 'deploy') === 'deploy');
  const surgeTiers = new Map(
    options.environment.tiers.flatMap((t) => ('batch' in t && t.batch.strategy === 'surge' && scope.tiers.has(t.name) ? [[t.name, scope.tiers.get(t.name)!.prefix] as const] : [])),
  );
  const oldHosts = releases && surgeTiers.size > 0 ? surgeOldHosts([...account.hosts.values()], surgeTiers) : undefined;
  const parsed = parseFaults(faults, hostNames, new Set(account.alarms.keys()), lambdaTasks, oldHosts ? { ...scope, surgeOldHosts: oldHosts } : scope);
  account.useFaults(parsed);
  // A lock left behind: by an execution whose history is gone, or an item with no holder at all.
  const environment = { S: options.environment.name };
  if (parsed.lock === 'stale') {
    const holder = `arn:aws:states:${SIM_REGION}:${SIM_ACCOUNT_ID}:execution:fleetflow-${options.environment.name}-deploy:long-gone`;
    account.table(LOCK_TABLE_NAME).set(options.environment.name, { environment, holder: { S: holder } });
  } else if (parsed.lock === 'malformed') {
    account.table(LOCK_TABLE_NAME).set(options.environment.name, { environment });
  }
  return account;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
type LocalTask = { kind: 'lambda'; handler: Handler; timeoutSeconds: number; memoryMb: number } | { kind: 'integration'; resource: string };

async function loadHandlers(workflows: LocalWorkflows): Promise<Map<string, Map<string, LocalTask>>> {
  const all = new Map<string, Map<string, LocalTask>>();
  for (const machine of workflows.byArn.values()) all.set(machine.arn, await loadMachineHandlers(machine));
  return all;
}

async function loadMachineHandlers(machine: LocalStateMachine): Promise<Map<string, LocalTask>> {
  const handlers = new Map<string, LocalTask>();
  for (const [state, target] of machine.taskHandlers) {
    if (target.kind === 'integration') {
      handlers.set(state, target);
      continue;
    }
    const loaded = (await import(new URL(target.module, LAMBDAS_DIR).href)) as { handler: Handler };
    handlers.set(state, { kind: 'lambda', handler: loaded.handler, timeoutSeconds: target.timeoutSeconds, memoryMb: target.memoryMb });
  }
  return handlers;
}

interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly executionArn: string;
  readonly output?: unknown;
  readonly error?: string;
  /** As Step Functions reports it (the workflows read a Lambda error's message out of its JSON themselves). */
  readonly cause?: string;
  /** The same: what a parent reads back of a child execution's failure. */
  readonly rawCause?: string;
}

/** Everything one top-level execution and its children share. */
interface Run {
  readonly workflows: LocalWorkflows;
  readonly handlers: Map<string, Map<string, LocalTask>>;
  readonly account: SimulatedAccount;
  /** One entry per execution, parent first. */
  readonly figures: ExecutionFigures[];
  /** The events of each child execution, in the order they started. */
  readonly childEvents: ExecutionEvent[][];
  readonly onProgress?: (line: string) => void;
  /** Virtual start of the top-level execution (set when it starts). */
  startedAt?: number;
  /** Where progress lines count from when it is not this execution's start (a restarted run: the first start). */
  readonly clockOrigin?: number;
}

const START_EXECUTION_SYNC = /^arn:[^:]+:states:::states:startExecution\.sync(:2)?$/;
let childSerial = 0;

/** Lets the caller stop an execution (StopExecution) once it has started. */
export interface ExecutionControl {
  /** True when the execution was running and is now stopped. */
  stop?: (cause?: string) => boolean;
}

async function execute(
  run: Run,
  machine: LocalStateMachine,
  input: unknown,
  executionName: string,
  events: ExecutionEvent[],
  control: ExecutionControl = {},
): Promise<ExecutionResult> {
  const { account } = run;
  const stateMachine = engineFor(machine.definition);
  const executionArn = `arn:aws:states:${SIM_REGION}:${SIM_ACCOUNT_ID}:execution:${machine.name}:${executionName}`;
  const figures = newFigures(executionArn, machine.name);
  run.figures.push(figures);
  const kinds: StateKinds = {
    waitingTasks: new Set([...machine.taskHandlers].filter(([, t]) => t.kind === 'integration' && /\.(sync|waitForTaskToken)/.test(t.resource)).map(([n]) => n)),
  };
  /** Set once a quota is broken: Step Functions ends the execution there, and no Catch runs. */
  let quotaBroken: { Error: string; Cause: string } | undefined;
  // The engine cannot be told that an error is uncatchable (its abort surfaces inside a Parallel
  // or Map as a catchable failure), so the execution ends here, whatever the engine does next;
  // every later task is held by the guard below, so nothing it does reaches the account.
  let endAtQuota!: () => void;
  const quotaReached = new Promise<void>((resolve) => {
    endAtQuota = resolve;
  });
  const children: Array<() => void> = [];
  const handlers = run.handlers.get(machine.arn)!;
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    // Let the engine's event log (promise chains, nested per Map level) catch up, so a quota
    // broken by the state that led here stops the task. Microtasks only: a real event-loop
    // turn would let the virtual clock jump while the task is still starting.
    for (let i = 0; i < EVENT_LOG_CATCH_UP_TICKS; i += 1) await Promise.resolve();
    if (quotaBroken) return new Promise<T>(() => {});
    return work();
  };
  const taskResourceLocalHandlers = Object.fromEntries(
    [...handlers].map(([state, task]) => [
      state,
      (payload: unknown) =>
        guard(() => {
          if (task.kind === 'lambda') return invokeLikeLambda(task, payload, state, account);
          if (START_EXECUTION_SYNC.test(task.resource)) return startChild(run, payload as ChildRequest, children);
          return callIntegration(task.resource, payload as Record<string, unknown>, { account, executionArn, stateMachineArn: machine.arn });
        }),
    ]),
  );
  const startedAt = Date.now();
  const isChild = run.startedAt !== undefined;
  run.startedAt ??= startedAt;
  account.executions.set(executionArn, 'RUNNING');
  const execution = stateMachine.run(input as never, {
    overrides: { taskResourceLocalHandlers: taskResourceLocalHandlers as never },
    // aws-local-stepfunctions fills in neither $$.State nor $$.Task: they are given here.
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date(startedAt).toISOString(),
        Input: input as never,
        RoleArn: `arn:aws:iam::${SIM_ACCOUNT_ID}:role/fleetflow-simulated`,
      },
      State: { EnteredTime: new Date(startedAt).toISOString(), Name: '', RetryCount: 0 },
      Task: { Token: `sim-task-token-${executionName}` },
    } as never,
  });
  // StopExecution: the execution ends ABORTED at once, no Catch runs, and the child
  // executions it waits for (.sync) are stopped with it.
  let aborted = false;
  let ended = false;
  // StopExecution stops an execution still running; one that has ended stays as it ended (false: nothing stopped).
  control.stop = () => {
    if (quotaBroken || aborted || ended) return false;
    aborted = true;
    quotaBroken = { Error: 'States.Aborted', Cause: 'the execution was stopped (StopExecution)' };
    for (const stop of children) stop();
    execution.abort();
    endAtQuota();
    return true;
  };
  const logging = (async () => {
    for await (const event of execution.eventLogs as AsyncIterable<ExecutionEvent>) {
      if (quotaBroken) continue;
      events.push(event);
      const broken = record(figures, event, kinds);
      if (broken) {
        quotaBroken = broken;
        for (const stop of children) stop();
        execution.abort();
        endAtQuota();
        continue;
      }
      // Children's lines are stamped from the top-level start, so one run reads as one timeline.
      // A child's own start and end are not news: its batches are, and the parent reports the outcome.
      const line = run.onProgress && !(isChild && event.type.startsWith('Execution')) && describeEvent(event, run.clockOrigin ?? run.startedAt ?? startedAt, progressContext(account));
      if (line) run.onProgress!(line);
    }
  })();
  const atQuota = Symbol('quota');
  try {
    const output = await Promise.race([execution.result, quotaReached.then(() => atQuota)]);
    if (output === atQuota) throw new Error('quota');
    await logging;
    // The engine may settle before its event log has delivered the event that broke a quota.
    if (quotaBroken) throw new Error('quota');
    account.executions.set(executionArn, 'SUCCEEDED');
    return { status: 'SUCCEEDED', output, executionArn };
  } catch (err) {
    if (!quotaBroken) await logging;
    account.executions.set(executionArn, 'FAILED');
    if (aborted) {
      account.executions.set(executionArn, 'ABORTED');
      events.push({ type: 'ExecutionAborted', timestamp: Date.now() });
      figures.historyEvents += 1;
      return { status: 'ABORTED', error: quotaBroken!.Error, cause: quotaBroken!.Cause, rawCause: quotaBroken!.Cause, executionArn };
    }
    if (quotaBroken) {
      events.push({ type: 'ExecutionFailed', timestamp: Date.now(), Error: quotaBroken.Error, Cause: quotaBroken.Cause });
      figures.historyEvents += 1;
      return { status: 'FAILED', error: quotaBroken.Error, cause: quotaBroken.Cause, rawCause: quotaBroken.Cause, executionArn };
    }
    const failed = events.find((e) => e.type === 'ExecutionFailed');
    const error = failed?.Error ?? (err as Error).name;
    const rawCause = typeof failed?.Cause === 'string' ? failed.Cause : (err as Error).message;
    return { status: 'FAILED', error, cause: rawCause, rawCause, executionArn };
  } finally {
    ended = true;
  }
}

/** What progress lines need of the account: new hosts' names, and the plan's lower bound for the expected duration. */
function progressContext(account: SimulatedAccount): ProgressContext {
  return {
    nameOf: (id) => account.hosts.get(id)?.name,
    expectedSeconds: (plan) => {
      try {
        return lowerBoundSeconds(plan as PlanView, account);
      } catch {
        // A plan whose batches are not in the plan table (none stored): no expectation to give.
        return undefined;
      }
    },
  };
}

/** The engine's state machine of each definition, checked once and shared by every execution of it. */
const engines = new WeakMap<AslDefinition, StateMachine>();

/**
 * The engine's state machine for a definition. Building one checks the definition with
 * asl-validator, which compiles its JSON schema every time: it is built once per definition,
 * and every execution (a release's 144 rollout segments, say) runs on it. A run keeps its
 * own state (`run` starts from the definition each time); the Map-failure correction marks
 * the iterator the engine builds for each run of a Map, never this shared instance (map-semantics.ts).
 */
function engineFor(definition: AslDefinition): StateMachine {
  let engine = engines.get(definition);
  if (!engine) {
    engine = sharedStateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
    engines.set(definition, engine);
  }
  return engine;
}

interface ChildRequest {
  readonly StateMachineArn: string;
  readonly Input: unknown;
  readonly Name?: string;
}

/**
 * startExecution.sync:2, as Step Functions runs it: the child is an execution of its own,
 * with its own history; the task succeeds with the child's DescribeExecution output
 * (Output as JSON), or fails with States.TaskFailed whose cause is that output as a JSON
 * string, carrying the child's Error and Cause.
 */
async function startChild(run: Run, request: ChildRequest, children: Array<() => void>): Promise<unknown> {
  const machine = run.workflows.byArn.get(request.StateMachineArn);
  if (!machine) throw new IntegrationError('StepFunctions.StateMachineDoesNotExist', `State Machine Does Not Exist: '${request.StateMachineArn}'`);
  const name = request.Name ?? `child-${String(++childSerial).padStart(6, '0')}`;
  const input = typeof request.Input === 'string' ? JSON.parse(request.Input) : request.Input;
  const startDate = Date.now();
  let stopped = false;
  const control: ExecutionControl = {};
  children.push(() => {
    stopped = true;
    control.stop?.();
  });
  const events: ExecutionEvent[] = [];
  run.childEvents.push(events);
  const result = await execute(run, machine, input, name, events, control);
  const description = {
    ExecutionArn: result.executionArn,
    StateMachineArn: machine.arn,
    Name: name,
    Status: result.status,
    StartDate: startDate,
    StopDate: Date.now(),
    Input: input,
    ...(result.status === 'SUCCEEDED' ? { Output: result.output } : { Error: result.error, Cause: result.rawCause }),
  };
  if (stopped) return new Promise(() => {});
  if (result.status === 'SUCCEEDED') return description;
  throw new IntegrationError('States.TaskFailed', JSON.stringify(description));
}

/** Per account, how many times each task state's handler was invoked (for `error:STATE@N`). */
const invocationCounts = new WeakMap<SimulatedAccount, Map<string, number>>();

/**
 * Per account, the Lambda compute its invocations used, in GB-seconds: each invocation's
 * virtual duration (a check that watches sleeps between its looks) plus ASSUMED_INVOCATION_MS
 * for what the simulator answers at once but AWS does not (the handler's own work and its API
 * calls' latency), times its function's memory. Lambda bills "the time it takes for your code
 * to execute ... rounded up to the nearest 1 ms", by the memory configured (AWS Lambda pricing).
 */
const lambdaUse = new WeakMap<SimulatedAccount, { gbSeconds: number; invocations: number }>();
/** A model, not a measurement: a look's few API calls at tens of milliseconds each. */
export const ASSUMED_INVOCATION_MS = 100;

/** Lambda GB-seconds and invocations of the handlers run against `account`. */
export function lambdaUseOf(account: SimulatedAccount): { gbSeconds: number; invocations: number } {
  return lambdaUse.get(account) ?? { gbSeconds: 0, invocations: 0 };
}

/**
 * Calls a handler the way Lambda does: the payload crosses a JSON boundary, an error reaches
 * Step Functions as Lambda delivers it (Error = the errorType, Cause = the runtime's JSON with
 * its trace), and a handler still running at its function's timeout is stopped there and fails
 * Sandbox.Timedout (lambda-runtime.ts). An `error:STATE[@N]` fault makes the Nth invocation of
 * that state's handler (counted over the whole simulation) throw a TypeError instead of running
 * it: a one-off bug, as a handler's own code would raise.
 */
export async function invokeLikeLambda(
  task: { readonly handler: Handler; readonly timeoutSeconds: number; readonly memoryMb?: number },
  payload: unknown,
  state: string,
  account: SimulatedAccount,
): Promise<unknown> {
  const event = JSON.parse(JSON.stringify(payload ?? null));
  const counts = invocationCounts.get(account) ?? new Map<string, number>();
  invocationCounts.set(account, counts);
  const invocation = (counts.get(state) ?? 0) + 1;
  counts.set(state, invocation);
  const startedAt = Date.now();
  const billed = () => {
    const use = lambdaUseOf(account);
    const ms = Math.ceil(Date.now() - startedAt) + ASSUMED_INVOCATION_MS;
    lambdaUse.set(account, { gbSeconds: use.gbSeconds + ((task.memoryMb ?? 128) / 1024) * (ms / 1000), invocations: use.invocations + 1 });
  };
  const result = await runWithTimeout(
    async (context) => {
      if (account.faults.taskErrors?.get(state)?.has(invocation)) {
        account.faultFired(`error:${state}@${invocation}`);
        throw new TypeError(`Cannot read properties of undefined (reading 'hosts') [simulated fault error:${state}@${invocation}]`);
      }
      return task.handler(event, context);
    },
    { functionName: state, requestId: `simulated-${String(invocation).padStart(4, '0')}`, timeoutSeconds: task.timeoutSeconds },
  ).finally(billed);
  return JSON.parse(JSON.stringify(result ?? null));
}

/** Fake credentials and a region so the real SDK clients can sign; nothing leaves the process. */
export function useSimulatedAwsEnvironment(): () => void {
  const overrides: Record<string, string> = {
    AWS_REGION: SIM_REGION,
    AWS_ACCESS_KEY_ID: 'ASIASIMULATEDFLEETFLOW',
    AWS_SECRET_ACCESS_KEY: 'simulated-secret-not-used-outside-this-process',
    AWS_SESSION_TOKEN: 'simulated',
    POWERTOOLS_LOG_LEVEL: process.env.FLEETFLOW_LAMBDA_LOG_LEVEL ?? 'SILENT',
    // The stack sets it on the functions that read or write the plan table.
    PLAN_TABLE: PLAN_TABLE_NAME,
    // The stack sets it on the functions that put batch progress events (lib/fleetflow.ts): the default bus.
    [EVENT_BUS_ENV]: 'default',
  };
  const saved = Object.fromEntries(Object.keys(overrides).map((k) => [k, process.env[k]]));
  Object.assign(process.env, overrides);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * Resolves each client's configuration (region, credentials, retry strategy) before the
 * virtual clock starts, so no real I/O is pending while the clock jumps.
 */
async function warmUpClients(clients: Record<string, { send: (c: never) => Promise<unknown> }>, environment: EnvironmentDefinition) {
  const scratch = seedAccount(environment, noFaults());
  const detach = attachSimulator(clients as never, scratch);
  const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const { DescribeTargetGroupsCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
  const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
  const { GetCommandInvocationCommand } = await import('@aws-sdk/client-ssm');
  const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  try {
    await Promise.allSettled([
      clients.ec2!.send(new DescribeInstancesCommand({}) as never),
      clients.elbv2!.send(new DescribeTargetGroupsCommand({}) as never),
      clients.cloudwatch!.send(new DescribeAlarmsCommand({}) as never),
      clients.ssm!.send(new GetCommandInvocationCommand({ CommandId: 'warm-up', InstanceId: 'i-0' }) as never),
      clients.dynamodb!.send(new GetItemCommand({ TableName: PLAN_TABLE_NAME, Key: { pk: { S: 'warm-up' } } }) as never),
      clients.events!.send(new PutEventsCommand({ Entries: [{ Source: 'warm-up', DetailType: 'warm-up', Detail: '{}' }] }) as never),
    ]);
  } finally {
    detach();
  }
}

function buildReport(args: {
  hostsAtStart: ReadonlyMap<string, string>;
  databasesBefore: DatabasesBefore;
  options: SimulateOptions;
  input: unknown;
  executionName: string;
  events: ExecutionEvent[];
  /** Every execution this one started, and theirs (recover's parts). */
  childEvents: ExecutionEvent[][];
  figures: ExecutionFigures[];
  account: SimulatedAccount;
  capacity: CapacityRecorder;
  result: ExecutionResult;
  realStart: number;
  faults: string[];
}): SimulationReport {
  const { account, capacity, events, result } = args;
  const plan = events.find((e) => e.type === 'StateExited' && e.state?.name === 'Plan Release')?.state?.output as
    | { plan?: PlanView & { component: string; database?: { snapshotId: string } } }
    | undefined;
  // A compute workflow's plan (Plan Allocate, Plan Scale Out, Plan Scale In, Plan Replace).
  const computePlan = (events.find((e) => e.type === 'StateExited' && /^Plan (Allocate|Scale Out|Scale In|Replace)$/.test(e.state?.name ?? ''))?.state?.output as { plan?: ComputePlan } | undefined)?.plan;
  const component = plan?.plan?.component ?? ((args.input as { component?: string } | null)?.component ?? 'application');
  const start = events[0]?.timestamp ?? account.startedAt;
  const end = events.at(-1)?.timestamp ?? start;
  const hosts: HostReport[] = [...account.hosts.values()].map((h) => ({
    name: h.name,
    id: h.id,
    tier: h.tier,
    version: h.release,
    recordedVersion: h.tags.get(RELEASE_TAG) ?? '',
    halfInstalled: h.halfInstalled,
    ...(INSTALL_SENT_TAGS.some((key) => h.tags.has(key)) ? { installSent: INSTALL_SENT_TAGS.filter((key) => h.tags.has(key)).map((key) => h.tags.get(key)!) } : {}),
    inService: account.inService(h, end),
  }));
  for (const db of account.databases.values()) {
    hosts.push({
      name: db.name,
      id: db.identifier,
      tier: 'database',
      version: db.schemaRelease,
      recordedVersion: db.schemaRelease,
      halfInstalled: false,
      inService: account.databaseStatus(db, end) === 'available',
    });
  }
  // A restore's repoint batches keep the same minimum as a release's.
  const restorePlan = (events.find((e) => e.type === 'StateExited' && e.state?.name === 'Plan Restore Data')?.state?.output as { plan?: PlanView } | undefined)?.plan;
  // A scale-in's retire batches keep the minimum its plan set (the tier's capacity floor or declared count).
  const scaleInTiers = args.options.workflow === 'scale-in' ? computePlan?.retire?.tiers : undefined;
  const minHealthyRequired = Object.fromEntries(((plan?.plan ?? restorePlan)?.tiers ?? scaleInTiers ?? []).map((t) => [t.spec.name, t.spec.minHealthy]));
  const apiCalls = [...account.calls].filter(([k]) => !k.includes(':')).reduce((n, [, v]) => n + v, 0);
  return {
    status: result.status,
    ...(result.error ? { error: result.error, cause: result.cause } : {}),
    environment: args.options.environment.name,
    release: plan?.plan?.release ?? (args.input as { release?: string } | null)?.release,
    executionName: args.executionName,
    hosts,
    minInService: Object.fromEntries(capacity.minInService),
    minHealthyRequired,
    makespanSeconds: (end - start) / 1000,
    lowerBoundSeconds: plan?.plan
      ? lowerBoundSeconds(plan.plan, account)
      : computePlan
        ? computeLowerBoundSeconds(computePlan, account, args.executionName, planEnteredAt(events, /^Plan (Allocate|Scale Out|Scale In|Replace)$/) ?? start)
        : restorePlan && args.options.workflow === 'restore-data' && entered(events, 'Record Database')
          ? restoreLowerBoundSeconds(restorePlan as unknown as Parameters<typeof restoreLowerBoundSeconds>[0], account, (prefix, index) => storedBatch(account, prefix, index))
          : args.options.workflow === 'recover'
            ? recoverLowerBoundSeconds(args.childEvents, account)
            : 0,
    stateTransitions: args.figures.reduce((n, f) => n + f.stateTransitions, 0),
    lambdaGbSeconds: lambdaUseOf(account).gbSeconds,
    historyEvents: args.figures[0]?.historyEvents ?? 0,
    maxHistoryEvents: Math.max(0, ...args.figures.map((f) => f.historyEvents)),
    childExecutions: Math.max(0, args.figures.length - 1),
    largestPayloadBytes: Math.max(0, ...args.figures.map((f) => f.largestPayloadBytes)),
    apiCalls,
    throttledCalls: account.throttledCalls,
    faults: args.faults,
    // Filled in for the whole run once every execution has ended (runFaultOutcomes).
    faultOutcomes: [],
    realTimeMs: Math.round(performance.now() - args.realStart),
    ...(result.status === 'SUCCEEDED' ? { output: result.output } : {}),
    component,
    snapshot: entered(events, 'Create Snapshot') ? (plan?.plan?.database?.snapshotId ?? null) : null,
    validation: validationOutcome(events),
    rolledBack: entered(events, 'Describe Rollback'),
    dbAvailableThroughout: [...account.databases.values()].every((d) => d.availableThroughout),
    recordedRelease: account.parameters.get(releaseParameterName(args.options.environment.name, component, 'current'))?.value ?? null,
    notifications: account.notifications
      .filter((n) => typeof n.detail.execution === 'string' && n.detail.execution.endsWith(`:${args.executionName}`))
      .map((n) => String(n.detail.event)),
    events: eventCounts(account, args.executionName),
    workflow: args.options.workflow ?? 'deploy',
    ...(args.options.workflow !== undefined && args.options.workflow !== 'deploy') || [...account.hosts.values()].some((h) => h.tags.get(LAUNCHED_BY_TAG) === args.executionName)
      ? { compute: { ...computeReport(account, args.executionName, args.hostsAtStart, end, args.options.workflow === 'recover'), extraInstanceHours: Math.round(capacity.extraInstanceHours(end) * 1000) / 1000 } }
      : {},
    // Data workflows: what the account's databases and hosts say, not what the workflow reports.
    ...(args.options.workflow === 'restore-data' || args.options.workflow === 'recover' ? dataFields(account, args.databasesBefore, end, result) : {}),
    ...(args.options.workflow === 'replace-database'
      ? replaceDatabaseFields(account, args.databasesBefore, end, reconfigureDocumentOf(args.options.environment), planOutput<{ maxLagSeconds?: number }>(events, 'Plan Replace Database')?.maxLagSeconds)
      : {}),
    timeline: buildTimeline({ events, childEvents: args.childEvents, start, inService: capacity.inServiceChanges, floors: minHealthyRequired, nameOf: (id) => account.hosts.get(id)?.name }),
  };
}

/** The environment's reconfigure document (`database.restore.reconfigure`): what a repoint would send. */
function reconfigureDocumentOf(environment: EnvironmentDefinition): string | undefined {
  for (const tier of environment.tiers) if ('database' in tier && tier.database.restore) return tier.database.restore.reconfigure.document;
  return undefined;
}

/** The data report, and for a recovery its recovery point and time as the execution reported them. */
function dataFields(account: SimulatedAccount, before: DatabasesBefore, end: number, result: ExecutionResult): DataReport & { recoveryPointTime?: string; recoveryTimeSeconds?: number } {
  const output = (result.status === 'SUCCEEDED' ? result.output : undefined) as { recoveryPointTime?: string; recoveryTimeSeconds?: number } | undefined;
  return {
    ...dataReport(account, before, end),
    ...(output?.recoveryPointTime !== undefined ? { recoveryPointTime: output.recoveryPointTime } : {}),
    ...(output?.recoveryTimeSeconds !== undefined ? { recoveryTimeSeconds: output.recoveryTimeSeconds } : {}),
  };
}

/** Launched, terminated, stopped and orphaned hosts, read from the simulated instances themselves. */
function computeReport(
  account: SimulatedAccount,
  executionName: string,
  atStart: ReadonlyMap<string, string>,
  end: number,
  byChildren = false,
): Omit<ComputeReport, 'extraInstanceHours'> {
  const hosts = [...account.hosts.values()];
  // Terminating and stopping take a few seconds more than the execution may: they count as done, as the API said so.
  const changedTo = (...states: string[]) => hosts.filter((h) => states.includes(h.state) && !states.includes(atStart.get(h.id) ?? '')).map((h) => h.name);
  // A recovery launches through its allocate child: every host launched during the run is its own.
  const launched = hosts.filter((h) => (byChildren ? h.tags.has(LAUNCHED_BY_TAG) && !atStart.has(h.id) : h.tags.get(LAUNCHED_BY_TAG) === executionName));
  const onPurpose = (h: (typeof hosts)[number]) => h.state === 'terminated' || ((h.state === 'stopped' || h.state === 'stopping' || h.state === 'shutting-down') && h.tags.has(RETIRED_BY_TAG));
  return {
    launched: launched.map((h) => h.name),
    terminated: changedTo('terminated', 'shutting-down'),
    stopped: changedTo('stopped', 'stopping'),
    orphans: [...launched.filter((h) => !onPurpose(h) && !account.inService(h, end)).map((h) => h.name), ...restoredLeftBehind(account, executionName, end, byChildren)],
  };
}

/**
 * DB instances a restore created during the simulation (its created-by and restored-from tags)
 * by ANOTHER execution (a run stopped and started again: the first run's), still there and not
 * the environment's recorded database at the end: left running, billed, and named by nobody.
 * An execution's own restored instance that it failed with is kept for inspection and its
 * cause says so; a recovery restores through child executions, so it has no other's to leave.
 */
function restoredLeftBehind(account: SimulatedAccount, executionName: string, end: number, byChildren: boolean): string[] {
  if (byChildren) return [];
  const recorded = new Set([...account.parameters].filter(([name]) => name.startsWith('/fleetflow/') && name === databaseParameterName(name.split('/')[2] ?? '')).map(([, p]) => p.value));
  return [...account.databases.values()]
    .filter((db) => db.tags?.[CREATED_BY_TAG] !== undefined && db.tags[RESTORED_FROM_TAG] !== undefined && db.tags[CREATED_BY_TAG] !== executionName)
    .filter((db) => (db.createdAt ?? Number.NEGATIVE_INFINITY) >= account.startedAt && !recorded.has(db.identifier))
    .filter((db) => !['deleting', 'deleted', 'not found'].includes(account.databaseStatus(db, end)))
    .map((db) => db.identifier);
}

/** The instance IDs of one batch the plan table holds. */
function storedBatch(account: SimulatedAccount, keyPrefix: string, index: number): string[] {
  const key = batchKey(keyPrefix, index);
  const stored = account.tables.get(PLAN_TABLE_NAME)?.get(key)?.hosts?.S;
  if (!stored) throw new Error(`batch ${key} is not in the simulated plan table`);
  return (JSON.parse(stored) as Array<{ id: string }>).map((h) => h.id);
}

/** When the plan state (its name matching `name`) was entered, virtual ms; undefined when it never was. */
function planEnteredAt(events: readonly ExecutionEvent[], name: RegExp): number | undefined {
  return events.find((e) => e.type === 'StateEntered' && name.test(e.state?.name ?? ''))?.timestamp;
}

function entered(events: ExecutionEvent[], state: string): boolean {
  return events.some((e) => e.type === 'StateEntered' && e.state?.name === state);
}

/** The first validation of the release (bake, then approval), as the events tell it. */
function validationOutcome(events: ExecutionEvent[]): SimulationReport['validation'] {
  const failed = events.find(
    (e) => e.type === 'StateFailed' && ['Start Bake', 'Check Bake', 'Request Approval'].includes(e.state?.name ?? ''),
  );
  if (failed) {
    // The state's own failure, as its TaskFailed event carries it (a Lambda error: the runtime's JSON).
    const reason = failed.Error === 'States.Timeout' ? 'no answer before the approval timeout' : String(failed.Cause ?? '');
    return { status: 'FAILED', reason: `${failed.Error === 'States.Timeout' ? 'ApprovalTimeoutError' : failed.Error}: ${reason}` };
  }
  return entered(events, 'Record Release') ? { status: 'PASSED' } : { status: 'NOT_RUN' };
}

/**
 * The unavoidable time of a recovery: the sum over its critical path. Its parts run one after
 * another, so that is the sum of the bounds of the parts it ran, each read from its own
 * execution's plan: allocate (which, when nothing serves, restores the data while it launches:
 * the longer of the restore and a host's boot, the check, then the slowest tier's setup,
 * install and health checks), restore-data when hosts remained to repoint, the release. A part
 * that did not finish adds nothing.
 */
export function recoverLowerBoundSeconds(childEvents: readonly ExecutionEvent[][], account: SimulatedAccount): number {
  let total = 0;
  for (const events of childEvents) {
    const exited = (name: string) => events.find((e) => e.type === 'StateExited' && e.state?.name === name)?.state;
    const allocate = exited('Plan Allocate');
    if (allocate && entered(events, 'Unlock')) {
      const { plan } = allocate.output as { plan: ComputePlan };
      // The child's own name, which its hosts' launched-by tag carries: each tier's launch is given it.
      const launch = events.find((e) => e.type === 'StateEntered' && e.state?.name === 'Launch Hosts')?.state?.input as { execution?: string } | undefined;
      total += computeLowerBoundSeconds(plan, account, launch?.execution ?? '', planEnteredAt(events, /^Plan Allocate$/) ?? 0);
    }
    const restore = exited('Plan Restore Data');
    if (restore && entered(events, 'Record Database')) {
      const { plan } = restore.output as { plan: Parameters<typeof restoreLowerBoundSeconds>[0] };
      total += restoreLowerBoundSeconds(plan, account, (prefix, index) => storedBatch(account, prefix, index));
    }
    const release = exited('Plan Release');
    if (release && entered(events, 'Record Release')) total += lowerBoundSeconds((release.output as { plan: PlanView }).plan, account);
  }
  return total;
}

/**
 * The unavoidable time of the release: the snapshot and the migration, then batch after batch, the slowest host's drain
 * (the deregistration delay, during which ELB shows the target draining; with a host-side drain check, the host's
 * connections closing: drainBoundSeconds), the slowest install
 * (delivery + run), and the health checks a new target must pass; then the bake and,
 * when asked for, the approver's answer.
 */
export function lowerBoundSeconds(plan: PlanView, account: SimulatedAccount): number {
  if (plan.upToDate) return 0;
  // A surge tier's old hosts' protections (both: a surge stops, then terminates them), read by Plan Release at EC2's
  // request rate: every old host in its batches (retire-guards.ts, as plan-release.ts guards them).
  const surged = plan.tiers.filter((t) => t.spec.surge).map((t) => ({ keyPrefix: t.keyPrefix, batchCount: t.batchCount, policy: 'terminate' as const }));
  let total = protectionReadSeconds(plannedProtectionReads(account, surged, Number.POSITIVE_INFINITY));
  if (plan.database) total += SNAPSHOT_SECONDS + SSM_DELIVERY_SECONDS + MIGRATION_SECONDS;
  if (plan.validation) {
    total += plan.validation.bakeSeconds;
    if (plan.validation.approval.required) total += APPROVER_RESPONSE_SECONDS;
  }
  for (const tier of plan.tiers) {
    const groups = account.groupsOf(tier.spec.name);
    const segments = tier.segments ?? [{ first: 0, last: tier.batchCount - 1 }];
    const firstOfSegment = new Set(segments.map((s) => s.first));
    const lastOfSegment = new Set(segments.map((s) => s.last));
    // How long a prepared batch's hosts have booted when it starts (the previous batch launched them).
    let bootedBefore = 0;
    for (let index = 0; index < tier.batchCount; index += 1) {
      const before = total;
      const key = batchKey(tier.keyPrefix, index);
      const stored = account.tables.get(PLAN_TABLE_NAME)?.get(key)?.hosts?.S;
      if (!stored) throw new Error(`batch ${key} is not in the simulated plan table`);
      const hosts = (JSON.parse(stored) as Array<{ id: string }>).map((h) => account.requireHost(h.id));
      const slowest = (f: (h: (typeof hosts)[number]) => number) => Math.max(0, ...hosts.map(f));
      if (tier.spec.traffic.kind === 'target-group') {
        total += slowest((h) => drainBoundSeconds(account, h, groups, drainCheckOf(tier.spec)));
        total += tier.spec.healthyAfterSeconds;
      } else {
        // Drained and undrained by command, or not at all; then the health command.
        if (tier.spec.traffic.kind === 'drain-command') {
          total += 2 * SSM_DELIVERY_SECONDS + QUICK_COMMAND_SECONDS.drain + QUICK_COMMAND_SECONDS.undrain;
        }
        total += SSM_DELIVERY_SECONDS + QUICK_COMMAND_SECONDS.health;
      }
      total += SSM_DELIVERY_SECONDS + slowest((h) => h.profile.installSeconds);
      // A surge batch first boots and sets up its new hosts, and stops the old ones last. Pipelined
      // (statemachines/surge/surge-pipeline.ts), the boot overlaps the previous batch of its segment,
      // which launched these hosts as it started when nothing of the tier was still stopping (the
      // segment's first batch), else once it was set up; and only the segment's last batch waits for
      // its old hosts to stop (the next batch's launch waits for them instead, while it sets up).
      if (tier.spec.surge) {
        const pipelined = tier.spec.surge.pipeline === true;
        const overhead = surgeOverheadSeconds(tier.spec.surge.setup, pipelined && !firstOfSegment.has(index) ? bootedBefore : 0, !pipelined || lastOfSegment.has(index));
        total += overhead.boot + overhead.setup + overhead.stop;
        bootedBefore = firstOfSegment.has(index) ? total - before : total - before - overhead.boot - overhead.setup;
      }
    }
  }
  return total;
}

/** The plan a Plan task put at `$.plan`, from its StateExited event. */
function planOutput<T>(events: readonly ExecutionEvent[], state: string): T | undefined {
  return (events.find((e) => e.type === 'StateExited' && e.state?.name === state)?.state?.output as { plan?: T } | undefined)?.plan;
}

/** The bus's events of one execution, per detail type: notifications name it by ARN, batch events by name. */
function eventCounts(account: SimulatedAccount, executionName: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of account.events) {
    const execution = e.detail.execution;
    if (typeof execution !== 'string' || (execution !== executionName && !execution.endsWith(`:${executionName}`))) continue;
    counts[e.detailType] = (counts[e.detailType] ?? 0) + 1;
  }
  return counts;
}
