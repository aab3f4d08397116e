/**
 * Turns execution events into lines a person can follow: tier, batch n of m, and what
 * is happening to which hosts, stamped with the virtual time since the start.
 */

import { ATTRIBUTE_PACE, protectionAttributes, readSeconds } from '../../lambdas/compute/retire-guards';

/** The fields of aws-local-stepfunctions' event log that FleetFlow reads (the type is not exported). */
export interface ExecutionEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { name: string; type: string; input: unknown; output?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { attempt: number };
  readonly output?: unknown;
}

interface BatchView {
  tier?: { name?: string };
  batch?: { index?: number; count?: number; hosts?: HostView[] };
  release?: string;
  /** The plan table's prefix of the rollout's batches: `#revert#` in it marks a release's rollback. */
  keyPrefix?: string;
  [phase: string]: unknown;
}

interface HostView {
  readonly id?: string;
  readonly name: string;
  /** The release the host had when planned (what an in-batch rollback reinstalls). */
  readonly previous?: string;
  /** A revert batch's host: the release it goes back to. */
  readonly target?: string;
  /** A surge batch's old host an earlier, stopped execution's serving new host already replaced (no launch for it). */
  readonly replaced?: true;
}

/** What the describer may ask of the run beyond the event itself. */
export interface ProgressContext {
  /** A host's Name tag, for new hosts the plan knows only by instance ID. */
  readonly nameOf?: (instanceId: string) => string | undefined;
  /** The plan's lower bound in seconds (Plan Release's output), for the expected duration and end. */
  readonly expectedSeconds?: (plan: unknown) => number | undefined;
}

/** No progress line is longer than this, at any fleet size (issue 16). */
export const MAX_LINE_CHARS = 200;
/** Host lists longer than this are collapsed to a count and the first and last names. */
export const MAX_LISTED_HOSTS = 4;

/** The context of the event being described (one describer call at a time: the engine's log is read in order). */
let context: ProgressContext = {};

const ENTERED: Record<string, (s: BatchView) => string> = {
  'Take Batch Out': (s) => `taking ${hosts(s)} out of traffic`,
  'Install Release': (s) => (isRevert(s) ? `reinstalling ${byTarget(s, 'target')}` : `installing ${s.release} on ${hosts(s)}`),
  'Return Batch To Traffic': (s) => `returning ${hosts(s)} to traffic`,
  'Take Batch Out For Rollback': (s) => `rollback: taking ${hosts(s)} out of traffic`,
  'Reinstall Previous Release': (s) => `rollback: reinstalling ${byTarget(s, 'previous')}`,
  'Return Batch After Rollback': (s) => `rollback: returning ${hosts(s)} to traffic`,
  'Restore Traffic After Failed Rollback': (s) => `rollback failed: returning ${hosts(s)} to traffic`,
  // New hosts (allocate, scale out, replace), and a surge's.
  'Set Up Hosts': (s) => `setting up new hosts ${hosts(s)}`,
  'Install On New Hosts': (s) => `installing ${s.release} on new hosts ${hosts(s)}`,
  'Put New Hosts In Service': (s) => `putting ${hosts(s)} into service`,
  // A scale-in's retired reason starts "scale-in"; a replacement's hosts leave once their replacements serve.
  'Take Retiring Hosts Out': (s) => `${String(s.reason ?? '').startsWith('scale-in') ? 'scaling in' : 'replacements in service'}: taking ${hosts(s)} out of traffic`,
  'Retire Hosts': (s) => `retiring ${hosts(s)}`,
  'Launch Surge Hosts': (s) => surgeLaunchLine(s),
  'Launch Next Surge Hosts': (s) => `surge: new hosts for ${hosts(s)} set up; launching the next batch's new hosts once the old hosts before them have stopped`,
  'Surge Install On New Hosts': (s) => (hasHosts(surgeNew(s)) ? `surge: installing ${s.release} on new hosts ${hosts(surgeNew(s))}` : 'surge: no new host to install (the batch\'s replacements already serve)'),
  'Surge Put New Hosts In Service': (s) => (hasHosts(surgeNew(s)) ? `surge: putting ${hosts(surgeNew(s))} into service` : 'surge: no new host to put into service'),
  'Surge Take Retiring Hosts Out': (s) => `surge: new hosts in service, taking ${hosts(s)} out of traffic`,
  'Surge Retire Hosts': (s) => `surge: stopping ${hosts(s)} (kept until the release is validated)`,
  'Start Retired Hosts': (s) => `starting ${hosts(s)} again`,
  'Return Restored Hosts': (s) => `returning ${hosts(s)} to traffic`,
  'Take Repoint Batch Out': (s) => `taking ${hosts(s)} out of traffic, to move to database ${database(s)}`,
  'Reconfigure Repoint Batch': (s) => `reconfiguring ${hosts(s)} for database ${database(s)}`,
  'Return Repoint Batch': (s) => `returning ${hosts(s)} to traffic`,
  'Take Repoint Back Batch Out': (s) => `REPOINTING BACK: taking ${hosts(s)} out of traffic`,
  'Reconfigure Repoint Back Batch': (s) => `pointing ${hosts(s)} back to database ${database(s)}`,
  'Return Repoint Back Batch': (s) => `returning ${hosts(s)} to traffic`,
};

/** The database a repoint batch moves its hosts to. */
function database(s: BatchView): string {
  return (s.tier as { reconfigure?: { database?: string } } | undefined)?.reconfigure?.database ?? '?';
}

interface ProvisionView {
  tier?: { spec?: { name?: string }; perSubnet?: number[]; launch?: { subnets?: Array<{ availabilityZone: string }>; template?: { name?: string; id?: string }; version?: string } };
}

interface MilestoneView extends ProvisionView {
  plan?: {
    release?: string;
    database?: { snapshotId: string; instanceIdentifier: string; runner: { name: string }; fromSnapshot?: { identifier: string } };
    validation?: { bakeSeconds: number };
    tiers?: Array<{ spec?: { surge?: unknown } }>;
  };
  failure?: { Error?: string };
}

/**
 * Steps announced when they end, because only their output says what they did (Record
 * Database: whether the old instance still existed to be tagged; Clean Up Launched: how many
 * hosts the failed execution had launched).
 */
type Outcome = { oldDatabase?: { identifier?: string; exists?: boolean } };
const FINISHED: Record<string, (s: MilestoneView & { outcome?: Outcome; restored?: Outcome; cleanUp?: { launched?: number; done?: boolean } }) => string | undefined> = {
  'Record Database': (s) => {
    const old = (s.outcome ?? s.restored)?.oldDatabase;
    const kept = old?.exists ? `; ${old.identifier} is kept, tagged as replaced` : old?.identifier ? `; the instance it replaces, ${old.identifier}, no longer exists` : '';
    return `validation passed: ${restore(s)?.target?.identifier} is the current database${kept}`;
  },
  'Clean Up Launched': (s) =>
    s.cleanUp?.launched
      ? `FAILED (${s.failure?.Error}): terminating the ${s.cleanUp.launched} host(s) this execution launched`
      : `FAILED (${s.failure?.Error}): this execution launched no host, nothing to terminate`,
};

interface RestoreView {
  source?: { kind: string; snapshot?: string; instance?: string };
  recoveryPointTime?: string;
  dataLossSeconds?: number;
  target?: { identifier?: string };
  current?: { identifier?: string };
  check?: { runner?: { id?: string; name?: string }; runnerTier?: string };
  connectionParameter?: string;
  validation?: { bakeSeconds?: number };
  resume?: { execution?: string; hosts?: string; connectionNamesTarget?: boolean };
}

/** restore-data's plan, or allocate's restore ("database": "restore", recover when nothing serves). */
const restore = (s: MilestoneView) => ((s.plan as { restore?: RestoreView } | undefined)?.restore ?? s.plan) as RestoreView | undefined;
/** Whether the state is allocate's: it restores for the hosts it launched, which are not serving yet. */
const forNewHosts = (s: MilestoneView) => (s.plan as { restore?: unknown } | undefined)?.restore !== undefined;

function describeSource(s: MilestoneView): string {
  const plan = restore(s);
  // To the second: the milliseconds of a recovery point say nothing a person acts on.
  const point = plan?.recoveryPointTime?.replace(/\.\d{3}Z$/, 'Z');
  if (plan?.source?.kind === 'snapshot') return `snapshot ${plan.source.snapshot} (data of ${point})`;
  return `${plan?.source?.instance} as of ${point}`;
}

/** What the restored database will not have: said before the restore starts. */
function describeLoss(s: MilestoneView): string {
  const seconds = restore(s)?.dataLossSeconds;
  return seconds === undefined ? '' : ` (loses ${lossSpan(seconds)} of writes and any until the repoint)`;
}

/**
 * A restore resumed onto the instance a stopped run restored (lambdas/restore-data/earlier-restore.ts):
 * nothing is restored again, and the writes lost are the old database's since the recovery point,
 * until each host still on it moves; those the stopped run moved already write to the target.
 */
function describeResume(s: MilestoneView): string {
  const plan = restore(s)!;
  const point = plan.recoveryPointTime?.replace(/\.\d{3}Z$/, 'Z');
  const onIt = plan.resume?.hosts ? `; on it or moving: ${plan.resume.hosts}` : '';
  return `database: resuming ${plan.resume?.execution}'s restore into ${plan.target?.identifier}, as of ${point}${describeLoss(s)}${onIt}`;
}

function lossSpan(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/** Release-level steps, announced when they start. */
const MILESTONES: Record<string, (s: MilestoneView) => string | undefined> = {
  'Acquire Lock': () => 'taking the environment lock',
  'Preflight': () => 'preflight: checking that monitoring works and nothing is alarming',
  'Create Snapshot': (s) => `database: snapshot ${s.plan?.database?.snapshotId} of ${s.plan?.database?.instanceIdentifier}`,
  // The runner may be a new host the plan knows by its instance ID only (a surge restarted: the first host of its tier): its Name tag.
  'Run Migration': (s) => `database: migrating to ${s.plan?.release} on ${runnerName(s.plan?.database?.runner)}`,
  'Recheck Database': () => 'database: migrated, checking it is still available',
  'Start Bake': (s) => `validation: baking for ${s.plan?.validation?.bakeSeconds}s, watching alarms`,
  'Request Approval': () => 'validation: waiting for a person to approve',
  'Record Release': (s) => `validation passed: recording ${s.plan?.release} as the current release`,
  'Plan Rollback': (s) => `ROLLING BACK the release after ${s.failure?.Error}`,
  'Revert Start Bake': () => 'rolled back: validating the previous release again',
  'Create Database': (s) => {
    const database = s.plan?.database;
    return `database: ${database?.fromSnapshot ? `restoring ${database.instanceIdentifier} from snapshot ${database.fromSnapshot.identifier}` : `creating ${database?.instanceIdentifier}`}`;
  },
  'Launch Hosts': (s) => `${s.tier?.spec?.name}: launching ${launchCount(s)} host(s) from launch template ${s.tier?.launch?.template?.name ?? s.tier?.launch?.template?.id} version ${s.tier?.launch?.version} (${zones(s)})`,
  'Verify Dependencies': (s) => `${s.tier?.spec?.name}: new hosts running, checked and online in SSM; verifying what the tier depends on`,
  // Only a release with a surge tier kept old hosts stopped; the step runs after every release.
  'Terminate Surged Hosts': (s) => (s.plan?.tiers?.some((t) => t.spec?.surge) ? 'terminating the old hosts the surge kept stopped' : undefined),
  'Restore Database': (s) => (restore(s)?.resume ? describeResume(s) : `database: restoring ${describeSource(s)} into ${restore(s)?.target?.identifier}${describeLoss(s)}`),
  'Validate Data': (s) => `database: ${restore(s)?.target?.identifier} available; checking it from ${runnerName(restore(s)?.check?.runner ?? firstNewHost(s, restore(s)?.check?.runnerTier))}`,
  'Write Connection': (s) =>
    `database: check passed; ${restore(s)?.connectionParameter} now names ${restore(s)?.target?.identifier}; ${forNewHosts(s) ? 'setting up the new hosts on it' : 'repointing the hosts'}`,
  'Repoint Start Bake': (s) => `every host uses ${restore(s)?.target?.identifier}: baking for ${restore(s)?.validation?.bakeSeconds}s, watching alarms`,
  'Write Connection Back': (s) => `REPOINTING BACK after ${s.failure?.Error}: ${restore(s)?.connectionParameter} names ${restore(s)?.current?.identifier} again`,
  'Create Green': (s) => `database: creating a blue/green deployment of ${replacing(s)?.current?.identifier}${describeTarget(replacing(s)?.target)}; it serves on meanwhile`,
  'Send Green Check': (s) => `database: green ${greenOf(s)?.greenIdentifier} available; checking it from ${runnerName(replacing(s)?.check?.runner)}`,
  'Measure Replica Lag': (s) => `database: green checked; waiting for its replica lag to be at most ${replacing(s)?.maxLagSeconds}s`,
  'Switch Over': (s) => `database: switching over (timeout ${replacing(s)?.switchoverTimeoutSeconds}s): writes pause, the endpoint stays`,
  'Record Replacement': (s) => `database: switched over; ${replacing(s)?.current?.identifier} answers from the green, the old instance is kept`,
  'Allocate Environment': () => 'recover: allocating every tier (an allocate execution)',
  'Restore Environment Data': () => 'recover: restoring the data (a restore-data execution)',
  'Release Recorded Release': (s) => `recover: releasing ${(s.plan as { release?: string } | undefined)?.release} (a deploy execution)`,
  // The planners that retire hosts read each one's protection first, at EC2's request rate, and the run shows nothing until
  // they return: minutes at thousands of hosts (lambdas/compute/retire-guards.ts). Said when they start.
  'Plan Scale In': (s) => `planning: choosing ${removeOf(s) ?? 'the'} host(s) to remove, then ${PROTECTION_READS}`,
  'Plan Replace': () => `planning: finding the hosts to replace, then ${PROTECTION_READS}`,
};

/** What a retiring planner does before it returns (the guard's pace: ATTRIBUTE_PACE). */
const PROTECTION_READS =
  `reading their protection, a DescribeInstanceAttribute call a host and attribute at EC2's request rate ` +
  `(${ATTRIBUTE_PACE.burst} at once, then ${(60 * ATTRIBUTE_PACE.perSecond).toLocaleString('en-US')} a minute)`;

/** The hosts a scale-in's input removes, however the state carries the input. */
function removeOf(s: MilestoneView): number | undefined {
  const view = s as { remove?: unknown; input?: { remove?: unknown } };
  const remove = view.remove ?? view.input?.remove;
  return typeof remove === 'number' ? remove : undefined;
}

/** "; protection of 2,000 host(s) read first (4,000 calls, ~98 s at EC2's request rate)": what the planner's guard read, from its plan. */
function readsOf(tiers: ReadonlyArray<{ spec?: { retire?: 'stop' | 'terminate'; hostCount?: number } }> | undefined, atMost: boolean): string {
  const hosts = (tiers ?? []).reduce((n, t) => n + (t.spec?.hostCount ?? 0), 0);
  const calls = (tiers ?? []).reduce((n, t) => n + (t.spec?.hostCount ?? 0) * protectionAttributes(t.spec?.retire ?? 'terminate').length, 0);
  if (calls === 0) return '';
  return `; protection of ${atMost ? 'at most ' : ''}${hosts.toLocaleString('en-US')} host(s) read first (${calls.toLocaleString('en-US')} calls, ~${Math.ceil(readSeconds(calls))} s at EC2's request rate)`;
}

/** Replace-database's plan and green, read loosely from the state (lambdas/replace-database/types.ts). */
interface ReplacingView {
  current?: { identifier?: string };
  target?: { instanceClass?: string; allocatedStorage?: number; engineVersion?: string };
  check?: { runner?: { name?: string } };
  maxLagSeconds?: number;
  switchoverTimeoutSeconds?: number;
}
const replacing = (s: MilestoneView) => s.plan as ReplacingView | undefined;
const greenOf = (s: MilestoneView) => (s as { green?: { greenIdentifier?: string } }).green;

function describeTarget(target: ReplacingView['target']): string {
  const changes = [target?.instanceClass, target?.allocatedStorage !== undefined ? `${target.allocatedStorage} GiB` : undefined, target?.engineVersion && `engine ${target.engineVersion}`].filter(Boolean);
  return changes.length > 0 ? ` (green: ${changes.join(', ')})` : '';
}

function launchCount(s: ProvisionView): number {
  return (s.tier?.perSubnet ?? []).reduce((a, b) => a + b, 0);
}

function zones(s: ProvisionView): string {
  const subnets = s.tier?.launch?.subnets ?? [];
  return (s.tier?.perSubnet ?? []).map((n, i) => `${n} in ${subnets[i]?.availabilityZone}`).filter((x) => !x.startsWith('0 ')).join(', ');
}

const DONE_WHEN: Record<string, [phase: string, message: (s: BatchView) => string]> = {
  'Check Drain': ['drain', (s) => `${hosts(s)} drained`],
  'Check Install': ['install', (s) => (isRevert(s) ? byTarget(s, 'target', ' reinstalled') : `${s.release} installed on ${hosts(s)}`)],
  'Check Health': ['health', (s) => `${hosts(s)} healthy`],
  'Check Rollback Drain': ['rollbackDrain', (s) => `rollback: ${hosts(s)} drained`],
  'Check Reinstall': ['rollbackInstall', (s) => `rollback: ${byTarget(s, 'previous', ' reinstalled')}`],
  'Check Rollback Health': ['rollbackHealth', (s) => `rollback: ${hosts(s)} healthy on ${releasesOf(s, 'previous')}`],
  'Check New Hosts Health': ['health', (s) => `${hosts(s)} healthy, in service`],
  'Surge Check New Hosts Health': ['health', (s) => (hasHosts(surgeNew(s)) ? `surge: ${hosts(surgeNew(s))} healthy, in service` : 'surge: the replacements serve')],
  'Check Retired': ['retired', (s) => `${hosts(s)} retired`],
  'Surge Check Retired': ['retired', (s) => `surge: ${hosts(s)} stopped`],
  'Check Restored Hosts Health': ['health', (s) => `${hosts(s)} back in service on the previous release`],
  'Check Repoint Reconfigure': ['reconfigure', (s) => `${hosts(s)} reconnected to database ${database(s)}`],
  'Check Repoint Health': ['health', (s) => `${hosts(s)} healthy, in service`],
  'Check Repoint Back Reconfigure': ['reconfigure', (s) => `${hosts(s)} reconnected to database ${database(s)} again`],
  'Check Repoint Back Health': ['health', (s) => `${hosts(s)} healthy, in service`],
};

/** A surge batch's new hosts: its setup's done phase carries them (`$.batch` stays the old hosts; statemachines/surge/surge-pipeline.ts). */
function surgeNew(s: BatchView): BatchView {
  const setUp = (s as { surgeSetUp?: { batch?: BatchView['batch'] } }).surgeSetUp;
  return setUp?.batch ? { ...s, batch: setUp.batch } : s;
}

function hasHosts(s: BatchView): boolean {
  return (s.batch?.hosts ?? []).length > 0;
}

/**
 * A surge batch's launch: a new host for each old one, except the old hosts an earlier, stopped
 * execution's serving new hosts already replaced (lambdas/surge/replaced-hosts.ts), which leave
 * with the batch and get none.
 */
function surgeLaunchLine(s: BatchView): string {
  const all = s.batch?.hosts ?? [];
  const replaced = all.filter((h) => h.replaced === true);
  const launched = all.filter((h) => h.replaced !== true);
  // `replaced` marks an old host a stopped run's new host already replaces, and a stopped rollback's surplus new host:
  // either way the host leaves with the batch and gets no new one (lambdas/surge/replaced-hosts.ts).
  const kept = replaced.length > 0 ? `${listHosts(replaced.map(nameOf))} leave${replaced.length === 1 ? 's' : ''} with no new host (a stopped run of this release already covered ${replaced.length === 1 ? 'it' : 'them'})` : '';
  if (launched.length === 0) return `surge: no new host to launch: ${kept}`;
  return `surge: launching, readying and setting up a new host for each of ${listHosts(launched.map(nameOf))}${kept ? `; ${kept}` : ''}`;
}

/** The batch's hosts by name (a new host the plan names by its ID: its Name tag), collapsed when long. */
function hosts(s: BatchView): string {
  return listHosts((s.batch?.hosts ?? []).map(nameOf));
}

/** The check's runner: a host recover just launched is known to the plan by its instance ID only. */
/** Allocate's check runs on the runner tier's first new host, which its Prepare Tiers map found. */
function firstNewHost(s: MilestoneView, tier: string | undefined): { id?: string; name?: string } | undefined {
  const prepared = (s as { prepare?: { hosts?: { tiers?: Array<{ tierName?: string; first?: { id?: string; name?: string } | null }> } } }).prepare;
  return prepared?.hosts?.tiers?.find((t) => t.tierName === tier)?.first ?? undefined;
}

function runnerName(runner: { id?: string; name?: string } | undefined): string | undefined {
  return runner?.name !== undefined ? nameOf({ id: runner.id, name: runner.name }) : undefined;
}

function nameOf(h: HostView): string {
  return h.id !== undefined && h.name === h.id ? (context.nameOf?.(h.id) ?? h.name) : h.name;
}

/** "web-1, web-2", or past MAX_LISTED_HOSTS "125 hosts: web-1 … web-125" (first and last as planned). */
export function listHosts(names: readonly string[]): string {
  if (names.length <= MAX_LISTED_HOSTS) return names.join(', ');
  return `${names.length} hosts: ${names[0]} … ${names.at(-1)}`;
}

/** "1.0.0 on web-1, web-2" (with `done`: "1.0.0 reinstalled on …"), grouped by the release each host goes back to. */
function byTarget(s: BatchView, field: 'target' | 'previous', done = ''): string {
  const groups = new Map<string, string[]>();
  for (const h of s.batch?.hosts ?? []) {
    const release = h[field] ?? 'the previous release';
    const names = groups.get(release);
    if (names) names.push(nameOf(h));
    else groups.set(release, [nameOf(h)]);
  }
  return [...groups].map(([release, names]) => `${release}${done} on ${listHosts(names)}`).join('; ');
}

/** The releases the batch's hosts go back to ("1.0.0", or "1.0.0, 0.9.0"). */
function releasesOf(s: BatchView, field: 'target' | 'previous'): string {
  return [...new Set((s.batch?.hosts ?? []).map((h) => h[field] ?? 'the previous release'))].join(', ');
}

/** A batch of a release's rollback (Plan Rollback's revert plan), not a forward one. */
function isRevert(s: BatchView): boolean {
  return typeof s.keyPrefix === 'string' && s.keyPrefix.includes('#revert#');
}

/** "web batch 2/5" forward; "web rollback 1/2" for a revert batch, numbered within the rollback. */
function where(s: BatchView): string {
  const b = s.batch;
  return `${s.tier?.name ?? '?'} ${isRevert(s) ? 'rollback' : 'batch'} ${(b?.index ?? 0) + 1}/${b?.count ?? '?'}`;
}

/** Cuts a line to MAX_LINE_CHARS (a cause can be 1 KB; the summary and --json keep it whole). */
function bounded(line: string): string {
  return line.length <= MAX_LINE_CHARS ? line : `${line.slice(0, MAX_LINE_CHARS - 1)}…`;
}

export function formatElapsed(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** A progress line for the event, or undefined when the event is not worth a line; at most MAX_LINE_CHARS. */
export function describeEvent(event: ExecutionEvent, startedAt: number, given: ProgressContext = {}): string | undefined {
  context = given;
  try {
    const line = describe(event, startedAt);
    return line === undefined ? undefined : bounded(line);
  } finally {
    context = {};
  }
}

function describe(event: ExecutionEvent, startedAt: number): string | undefined {
  const stamp = `[${formatElapsed(event.timestamp - startedAt)}]`;
  switch (event.type) {
    case 'ExecutionStarted':
      return `${stamp} execution started`;
    case 'StateEntered': {
      if (!event.state) return undefined;
      const milestone = MILESTONES[event.state.name];
      if (milestone) {
        const text = milestone(event.state.input as MilestoneView);
        return text === undefined ? undefined : `${stamp} ${text}`;
      }
      const describe = ENTERED[event.state.name];
      const view = event.state.input as BatchView;
      return describe ? `${stamp} ${where(view)}: ${describe(view)}` : undefined;
    }
    case 'StateExited': {
      if (!event.state) return undefined;
      const output = event.state.output as BatchView & { plan?: PlanView };
      if (event.state.name === 'Plan Release' && output.plan) return `${stamp} ${describePlan(output.plan, expected(output.plan, event.timestamp))}`;
      if (/^Plan (Allocate|Scale Out|Replace)$/.test(event.state.name) && output.plan) return `${stamp} ${describeComputePlan(output.plan as unknown as ComputePlanView)}`;
      if (event.state.name === 'Plan Scale In' && output.plan) {
        const retire = (output.plan as unknown as ComputePlanView).retire;
        return `${stamp} planned scale-in: remove ${retire?.hostCount ?? 0} host(s)${readsOf(retire?.tiers, false)}`;
      }
      if (event.state.name === 'Check Alarms') return `${stamp} ${where(output)}: alarms OK`;
      const finished = FINISHED[event.state.name];
      if (finished) {
        const text = finished(output as never);
        return text === undefined ? undefined : `${stamp} ${text}`;
      }
      const done = DONE_WHEN[event.state.name];
      if (!done) return undefined;
      const phase = output[done[0]] as { done?: boolean } | undefined;
      return phase?.done ? `${stamp} ${where(output)}: ${done[1](output)}` : undefined;
    }
    case 'StateRetried':
      return `${stamp} ${event.state?.name}: retrying after a transient error (attempt ${(event.retry?.attempt ?? 0) + 1})`;
    case 'ExecutionSucceeded':
      return `${stamp} execution SUCCEEDED`;
    case 'ExecutionFailed':
      // The cause as Step Functions reports it: the workflow itself reads the message out of a Lambda error's JSON.
      return `${stamp} execution FAILED: ${event.Error}: ${String(event.Cause ?? '')}`;
    default:
      return undefined;
  }
}

/**
 * ", expected 00:13:48 or more, ending 03:13:48 UTC or later": the plan's
 * lower bound (the unavoidable drains, installs, health checks, bake), from the plan's end on
 * the run's (virtual) clock.
 */
function expected(plan: PlanView, at: number): string {
  const seconds = context.expectedSeconds?.(plan);
  if (seconds === undefined || !(seconds > 0)) return '';
  const end = new Date(at + seconds * 1000).toISOString().slice(11, 19);
  return `, expected ${formatElapsed(seconds * 1000)} or more, ending ${end} UTC or later`;
}

interface PlanView {
  release: string;
  hostCount: number;
  batchCount: number;
  tiers: Array<{ spec: { name: string; minHealthy: number; batchSize: number }; batchCount: number }>;
}

interface ComputePlanView {
  workflow: string;
  launchCount: number;
  tiers: Array<{ spec: { name: string }; release: string; perSubnet: number[] }>;
  database?: { instanceIdentifier: string };
  retire?: { hostCount: number; first: boolean; tiers?: Array<{ spec?: { retire?: 'stop' | 'terminate'; hostCount?: number } }> };
  nothingToDo?: string;
}

function describeComputePlan(plan: ComputePlanView): string {
  // The run ends here, before the lock (compute-run.ts): say what the plan found, not a launch of 0.
  if (plan.nothingToDo) return `planned ${plan.workflow}: ${plan.nothingToDo}; the lock is not taken`;
  const tiers = plan.tiers.map((t) => `${t.spec.name} +${t.perSubnet.reduce((a, b) => a + b, 0)} on ${t.release}`).join(', ');
  const database = plan.database ? `; database ${plan.database.instanceIdentifier} to bring up` : '';
  // Replace may name a stopped host, whose protection a stop does not read: the count is the most.
  const retire = plan.retire ? `; then ${plan.retire.first ? 'first ' : ''}retire the ${plan.retire.hostCount} replaced host(s)${readsOf(plan.retire.tiers, true)}` : '';
  return `planned ${plan.workflow}: launch ${plan.launchCount} host(s)${tiers ? ` (${tiers})` : ''}${database}${retire}`;
}

/** The expectation comes before the tiers: with many tiers, the line is cut at MAX_LINE_CHARS. */
function describePlan(plan: PlanView, expectation: string): string {
  const tiers = plan.tiers.map((t) => `${t.spec.name}: ${t.batchCount} ${t.batchCount === 1 ? 'batch' : 'batches'} of up to ${t.spec.batchSize}, floor ${t.spec.minHealthy}`).join('; ');
  return `planned ${plan.release}: ${plan.hostCount} hosts in ${plan.batchCount} batches${expectation} (${tiers})`;
}
