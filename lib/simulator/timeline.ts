/**
 * The timeline of a run, read from the execution histories (the parent's and every child's
 * events) and the capacity recorder: each batch's phases with start and end, the
 * workflow-level steps, and each tier's in-service count at its change points.
 *
 * Bounded: phases are at most MAX_TIMELINE_PHASES (about 370 KB of JSON; a 1,500-host tier
 * released one host at a time has 4,500), the phases of a batch that failed always among them
 * and then the earliest; steps at most MAX_TIMELINE_STEPS,
 * and each tier's in-service series at most MAX_CAPACITY_POINTS points: past that, the series
 * is cut into equal time buckets, each keeping its lowest count (so a dip below the floor is
 * never smoothed away), and `downsampled` says so. What was left out is counted.
 */
import type { ExecutionEvent } from './progress';

export const MAX_TIMELINE_PHASES = 2_000;
export const MAX_TIMELINE_STEPS = 500;
export const MAX_CAPACITY_POINTS = 500;

export type Direction = 'forward' | 'rollback';

export interface TimelinePhase {
  readonly tier: string;
  /** 1-based, within the rollout (forward) or within the rollback (a revert plan's batches). */
  readonly batch: number;
  readonly batches: number;
  readonly direction: Direction;
  /** The batch is one of the rollback's (Plan Rollback's revert plan), not of the release. */
  readonly revert: boolean;
  /** What the hosts go through: out, install, back, set up, retire, ... (PHASES below). */
  readonly phase: string;
  /** Virtual seconds since the run started. */
  readonly start: number;
  readonly end: number;
  readonly hosts: number;
  /** The batch's hosts as the progress lines name them ("web-2", "375 hosts: web-152 … web-526"). */
  readonly hostNames: string;
  /** The error a task of this phase failed with, and its message. */
  readonly failure?: { readonly error: string; readonly cause: string };
}

export interface TimelineStep {
  readonly name: string;
  /** 0: the execution started; 1: an execution it started (recover's allocate, restore-data and deploy). */
  readonly level: number;
  readonly start: number;
  readonly end: number;
  readonly failure?: { readonly error: string; readonly cause: string };
}

export interface InServiceSeries {
  readonly tier: string;
  /** The tier's minimum in service (the plan's), when the run had one. */
  readonly floor?: number;
  /** [virtual seconds, hosts in service] at each change (the first point: the start). */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Change points observed; more than `points` when downsampled. */
  readonly changePoints: number;
  readonly downsampled: boolean;
}

export interface Timeline {
  readonly phases: TimelinePhase[];
  readonly steps: TimelineStep[];
  readonly inService: InServiceSeries[];
  /** The caps above, and what was left out of `phases` and `steps`. */
  readonly bounds: { readonly maxPhases: number; readonly maxSteps: number; readonly maxPointsPerTier: number; readonly phasesOmitted: number; readonly stepsOmitted: number };
}

/** The batch states that start a phase: [phase, whether the phase undoes the release]. */
const PHASES: Record<string, readonly [string, boolean]> = {
  'Take Batch Out': ['out of traffic', false],
  'Install Release': ['install', false],
  'Return Batch To Traffic': ['back to traffic', false],
  'Take Batch Out For Rollback': ['out of traffic', true],
  'Reinstall Previous Release': ['reinstall', true],
  'Return Batch After Rollback': ['back to traffic', true],
  'Restore Traffic After Failed Rollback': ['back to traffic', true],
  'Set Up Hosts': ['set up', false],
  'Install On New Hosts': ['install', false],
  'Put New Hosts In Service': ['into service', false],
  'Take Retiring Hosts Out': ['out of traffic', false],
  'Retire Hosts': ['retire', false],
  'Launch Surge Hosts': ['launch, set up', false],
  'Surge Install On New Hosts': ['install', false],
  'Surge Put New Hosts In Service': ['into service', false],
  'Surge Take Retiring Hosts Out': ['out of traffic', false],
  'Surge Retire Hosts': ['stop', false],
  'Start Retired Hosts': ['start', true],
  'Return Restored Hosts': ['back to traffic', true],
  'Take Repoint Batch Out': ['out of traffic', false],
  'Reconfigure Repoint Batch': ['reconfigure', false],
  'Return Repoint Batch': ['back to traffic', false],
  'Take Repoint Back Batch Out': ['out of traffic', true],
  'Reconfigure Repoint Back Batch': ['reconfigure', true],
  'Return Repoint Back Batch': ['back to traffic', true],
};

/** Workflow-level states that start a step; a step lasts until the next one of its execution starts, or the execution ends. */
const STEPS: Record<string, string> = {
  'Plan Release': 'plan',
  'Plan Allocate': 'plan',
  'Plan Scale Out': 'plan',
  'Plan Replace': 'plan',
  'Plan Restore Data': 'plan',
  'Acquire Lock': 'lock',
  'Preflight': 'preflight',
  'Create Snapshot': 'database snapshot',
  'Run Migration': 'database migration',
  'Recheck Database': 'database check',
  'Roll Tiers': 'roll out',
  'Start Bake': 'bake',
  'Request Approval': 'approval',
  'Record Release': 'record release',
  'Terminate Surged Hosts': 'terminate surged hosts',
  'Plan Rollback': 'plan rollback',
  'Revert Roll Tiers': 'rollback',
  'Revert Start Bake': 'bake after rollback',
  'Create Database': 'create database',
  'Launch Hosts': 'launch hosts',
  'Verify Dependencies': 'verify dependencies',
  'Clean Up Launched': 'clean up',
  'Restore Database': 'restore database',
  'Validate Data': 'validate data',
  'Write Connection': 'write connection, repoint hosts',
  'Repoint Start Bake': 'bake',
  'Record Database': 'record database',
  'Write Connection Back': 'repoint back',
  'Allocate Environment': 'allocate',
  'Restore Environment Data': 'restore data',
  'Release Recorded Release': 'release',
  'Unlock': 'unlock',
  'Unlock After Failure': 'unlock',
};

interface BatchInput {
  tier?: { name?: string };
  keyPrefix?: string;
  batch?: { index?: number; count?: number; hosts?: Array<{ id?: string; name: string }> };
  /** A surge batch's setup, done: its new hosts, which its install and entry into service act on (`batch` stays the old hosts). */
  surgeSetUp?: { batch?: { hosts?: Array<{ id?: string; name: string }> } };
}

/** The surge states that act on the batch's new hosts. */
const ON_SURGE_NEW_HOSTS = new Set(['Surge Install On New Hosts', 'Surge Put New Hosts In Service']);

/** What a failed task reported: a Lambda error's type and message, or a child execution's Error and Cause. */
export function unwrapFailure(event: ExecutionEvent): { error: string; cause: string } {
  const text = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? '');
  try {
    const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string; Error?: string; Cause?: string };
    if (parsed.errorType) return { error: parsed.errorType, cause: parsed.errorMessage ?? '' };
    if (parsed.Error) return { error: parsed.Error, cause: String(parsed.Cause ?? '') };
  } catch {
    // Not JSON: the cause is the sentence itself.
  }
  return { error: event.Error ?? 'unknown', cause: text };
}

function label(names: readonly string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.length} hosts: ${names[0]} … ${names.at(-1)}`;
}

/** Each batch's phases in the executions' events (children are where the batches run). */
function phasesOf(executions: readonly ExecutionEvent[][], start: number, nameOf: (id: string) => string | undefined): TimelinePhase[] {
  const phases: TimelinePhase[] = [];
  for (const events of executions) {
    const open = new Map<string, { phase: Omit<TimelinePhase, 'end'>; lastSeen: number; failure?: TimelinePhase['failure'] }>();
    const close = (key: string, at: number) => {
      const current = open.get(key);
      if (!current) return;
      phases.push({ ...current.phase, end: Math.max(current.phase.start, (at - start) / 1000), ...(current.failure ? { failure: current.failure } : {}) });
      open.delete(key);
    };
    for (const event of events) {
      const input = (event.state?.input ?? undefined) as BatchInput | undefined;
      if (!input?.batch || input.batch.index === undefined || !input.tier?.name) continue;
      const key = `${input.keyPrefix ?? input.tier.name}#${input.batch.index}`;
      const known = open.get(key);
      if (known) known.lastSeen = event.timestamp;
      if (event.type === 'StateFailed' && event.state?.type === 'Task' && known && !known.failure) known.failure = unwrapFailure(event);
      const starts = event.type === 'StateEntered' ? PHASES[event.state!.name] : undefined;
      if (!starts) continue;
      close(key, event.timestamp);
      const revert = (input.keyPrefix ?? '').includes('#revert#');
      const acted = ON_SURGE_NEW_HOSTS.has(event.state!.name) ? (input.surgeSetUp?.batch ?? input.batch) : input.batch;
      const names = (acted.hosts ?? []).map((h) => (h.id !== undefined && h.name === h.id ? (nameOf(h.id) ?? h.name) : h.name));
      open.set(key, {
        lastSeen: event.timestamp,
        phase: {
          tier: input.tier.name,
          batch: input.batch.index + 1,
          batches: input.batch.count ?? 0,
          direction: revert || starts[1] ? 'rollback' : 'forward',
          revert,
          // A revert batch's install puts the previous release back.
          phase: revert && starts[0] === 'install' ? 'reinstall' : starts[0],
          start: (event.timestamp - start) / 1000,
          hosts: names.length,
          hostNames: label(names),
        },
      });
    }
    for (const [key, current] of [...open]) close(key, current.lastSeen);
  }
  return phases.sort((a, b) => a.start - b.start);
}

/** The workflow-level steps of each execution that has some (rollout children have none). */
function stepsOf(executions: ReadonlyArray<{ events: ExecutionEvent[]; level: number }>, start: number): TimelineStep[] {
  const steps: TimelineStep[] = [];
  for (const { events, level } of executions) {
    let current: { name: string; start: number; failure?: TimelineStep['failure'] } | undefined;
    const end = events.at(-1)?.timestamp ?? start;
    for (const event of events) {
      if (event.type === 'StateFailed' && event.state?.type === 'Task' && current && !current.failure) current.failure = unwrapFailure(event);
      const name = event.type === 'StateEntered' ? STEPS[event.state!.name] : undefined;
      if (!name) continue;
      if (current) steps.push({ name: current.name, level, start: (current.start - start) / 1000, end: (event.timestamp - start) / 1000, ...(current.failure ? { failure: current.failure } : {}) });
      current = { name, start: event.timestamp };
    }
    if (current) steps.push({ name: current.name, level, start: (current.start - start) / 1000, end: (end - start) / 1000, ...(current.failure ? { failure: current.failure } : {}) });
  }
  return steps.sort((a, b) => a.start - b.start || a.level - b.level);
}

/** At most `max` points: equal time buckets, each at its lowest count (the floor is what matters). */
export function boundSeries(points: ReadonlyArray<readonly [number, number]>, max: number): Array<readonly [number, number]> {
  if (points.length <= max) return [...points];
  const first = points[0]![0];
  const span = Math.max(1e-9, points.at(-1)![0] - first);
  const buckets = new Map<number, readonly [number, number]>();
  for (const point of points) {
    const bucket = Math.min(max - 1, Math.floor(((point[0] - first) / span) * max));
    const kept = buckets.get(bucket);
    if (!kept || point[1] < kept[1]) buckets.set(bucket, [kept?.[0] ?? point[0], point[1]]);
  }
  return [...buckets.values()];
}

/** At most `max` phases: every phase of a batch that failed (what a person looks for), then the earliest, in time order. */
export function keepPhases(phases: readonly TimelinePhase[], max: number): TimelinePhase[] {
  if (phases.length <= max) return [...phases];
  const batchOf = (p: TimelinePhase) => `${p.tier}|${p.revert}|${p.batch}|${p.batches}`;
  const failed = new Set(phases.filter((p) => p.failure).map(batchOf));
  const first = phases.filter((p) => failed.has(batchOf(p))).slice(0, max);
  const kept = new Set(first);
  for (const p of phases) {
    if (kept.size >= max) break;
    kept.add(p);
  }
  return phases.filter((p) => kept.has(p));
}

export interface TimelineInput {
  /** The events of the execution started. */
  readonly events: ExecutionEvent[];
  /** The events of every child execution it led to. */
  readonly childEvents: ExecutionEvent[][];
  /** Virtual ms the run started at. */
  readonly start: number;
  /** Per tier, [virtual ms, count] at each change of hosts in service (the capacity recorder's). */
  readonly inService: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  readonly floors: Readonly<Record<string, number>>;
  readonly nameOf: (id: string) => string | undefined;
}

export function buildTimeline(input: TimelineInput): Timeline {
  const allPhases = phasesOf([input.events, ...input.childEvents], input.start, input.nameOf);
  const allSteps = stepsOf([{ events: input.events, level: 0 }, ...input.childEvents.map((events) => ({ events, level: 1 }))], input.start);
  const inService = [...input.inService].map(([tier, series]): InServiceSeries => {
    // The count when the run started (the last change before it), then every change after.
    const before = series.filter(([at]) => at <= input.start).at(-1);
    const after = series.filter(([at]) => at > input.start);
    const inRun = [...(before ? [[input.start, before[1]] as const] : []), ...after].map(([at, n]) => [(at - input.start) / 1000, n] as const);
    const points = boundSeries(inRun, MAX_CAPACITY_POINTS);
    return { tier, ...(input.floors[tier] !== undefined ? { floor: input.floors[tier] } : {}), points, changePoints: inRun.length, downsampled: points.length < inRun.length };
  });
  return {
    phases: keepPhases(allPhases, MAX_TIMELINE_PHASES),
    steps: allSteps.slice(0, MAX_TIMELINE_STEPS),
    inService,
    bounds: {
      maxPhases: MAX_TIMELINE_PHASES,
      maxSteps: MAX_TIMELINE_STEPS,
      maxPointsPerTier: MAX_CAPACITY_POINTS,
      phasesOmitted: Math.max(0, allPhases.length - MAX_TIMELINE_PHASES),
      stepsOmitted: Math.max(0, allSteps.length - MAX_TIMELINE_STEPS),
    },
  };
}
