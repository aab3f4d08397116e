/**
 * Turns execution events into lines a person can follow: tier, batch n of m, and what
 * is happening to which hosts, stamped with the virtual time since the start.
 */

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
  batch?: { index?: number; count?: number; hosts?: Array<{ name: string }> };
  release?: string;
  [phase: string]: unknown;
}

const ENTERED: Record<string, (s: BatchView) => string> = {
  'Take Batch Out': (s) => `taking ${hosts(s)} out of traffic`,
  'Install Release': (s) => `installing ${s.release} on ${hosts(s)}`,
  'Return Batch To Traffic': (s) => `returning ${hosts(s)} to traffic`,
  'Take Batch Out For Rollback': (s) => `ROLLING BACK: taking ${hosts(s)} out of traffic`,
  'Reinstall Previous Release': (s) => `reinstalling the previous release on ${hosts(s)}`,
  'Return Batch After Rollback': (s) => `returning ${hosts(s)} to traffic after rollback`,
  'Restore Traffic After Failed Rollback': (s) => `rollback failed: returning ${hosts(s)} to traffic`,
  // New hosts (allocate, scale out, replace), and a surge's.
  'Set Up Hosts': (s) => `setting up new hosts ${hosts(s)}`,
  'Install On New Hosts': (s) => `installing ${s.release} on new hosts ${hosts(s)}`,
  'Put New Hosts In Service': (s) => `putting ${hosts(s)} into service`,
  'Take Retiring Hosts Out': (s) => `replacements in service: taking ${hosts(s)} out of traffic`,
  'Retire Hosts': (s) => `retiring ${hosts(s)}`,
  'Launch Surge Hosts': (s) => `surge: launching a new host for each of ${hosts(s)}`,
  'Surge Set Up Hosts': (s) => `surge: setting up new hosts ${hosts(s)}`,
  'Surge Install On New Hosts': (s) => `surge: installing ${s.release} on new hosts ${hosts(s)}`,
  'Surge Put New Hosts In Service': (s) => `surge: putting ${hosts(s)} into service`,
  'Surge Take Retiring Hosts Out': (s) => `surge: new hosts in service, taking ${hosts(s)} out of traffic`,
  'Surge Retire Hosts': (s) => `surge: stopping ${hosts(s)} (kept until the release is validated)`,
  'Start Retired Hosts': (s) => `ROLLING BACK: starting ${hosts(s)} again`,
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
  };
  failure?: { Error?: string };
}

interface RestoreView {
  source?: { kind: string; snapshot?: string; instance?: string };
  recoveryPointTime?: string;
  dataLossSeconds?: number;
  target?: { identifier?: string };
  current?: { identifier?: string };
  check?: { runner?: { name?: string } };
  connectionParameter?: string;
  validation?: { bakeSeconds?: number };
}

const restore = (s: MilestoneView) => s.plan as RestoreView | undefined;

function describeSource(s: MilestoneView): string {
  const plan = restore(s);
  if (plan?.source?.kind === 'snapshot') return `snapshot ${plan.source.snapshot} (data of ${plan.recoveryPointTime})`;
  return `${plan?.source?.instance} as of ${plan?.recoveryPointTime}`;
}

/** What the restored database will not have: said before the restore starts. */
function describeLoss(s: MilestoneView): string {
  const seconds = restore(s)?.dataLossSeconds;
  return seconds === undefined ? '' : ` (loses the last ${lossSpan(seconds)} of writes, and any until the repoint)`;
}

function lossSpan(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/** Release-level steps, announced when they start. */
const MILESTONES: Record<string, (s: MilestoneView) => string> = {
  'Acquire Lock': () => 'taking the environment lock',
  'Preflight': () => 'preflight: checking that monitoring works and nothing is alarming',
  'Create Snapshot': (s) => `database: snapshot ${s.plan?.database?.snapshotId} of ${s.plan?.database?.instanceIdentifier}`,
  'Run Migration': (s) => `database: migrating to ${s.plan?.release} on ${s.plan?.database?.runner.name}`,
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
  'Clean Up Launched': (s) => `FAILED (${s.failure?.Error}): terminating every host this execution launched`,
  'Terminate Surged Hosts': () => 'terminating the old hosts the surge kept stopped',
  'Restore Database': (s) => `database: restoring ${describeSource(s)} into new instance ${restore(s)?.target?.identifier}${describeLoss(s)}`,
  'Validate Data': (s) => `database: ${restore(s)?.target?.identifier} available; checking it from ${restore(s)?.check?.runner?.name}`,
  'Write Connection': (s) => `database: check passed; ${restore(s)?.connectionParameter} now names ${restore(s)?.target?.identifier}; repointing the hosts`,
  'Repoint Start Bake': (s) => `every host uses ${restore(s)?.target?.identifier}: baking for ${restore(s)?.validation?.bakeSeconds}s, watching alarms`,
  'Record Database': (s) => `validation passed: ${restore(s)?.target?.identifier} is the current database; ${restore(s)?.current?.identifier} is kept, tagged as replaced`,
  'Write Connection Back': (s) => `REPOINTING BACK after ${s.failure?.Error}: ${restore(s)?.connectionParameter} names ${restore(s)?.current?.identifier} again`,
  'Allocate Environment': () => 'recover: allocating every tier (an allocate execution)',
  'Restore Environment Data': () => 'recover: restoring the data (a restore-data execution)',
  'Release Recorded Release': (s) => `recover: releasing ${(s.plan as { release?: string } | undefined)?.release} (a deploy execution)`,
};

function launchCount(s: ProvisionView): number {
  return (s.tier?.perSubnet ?? []).reduce((a, b) => a + b, 0);
}

function zones(s: ProvisionView): string {
  const subnets = s.tier?.launch?.subnets ?? [];
  return (s.tier?.perSubnet ?? []).map((n, i) => `${n} in ${subnets[i]?.availabilityZone}`).filter((x) => !x.startsWith('0 ')).join(', ');
}

const DONE_WHEN: Record<string, [phase: string, message: (s: BatchView) => string]> = {
  'Check Drain': ['drain', (s) => `${hosts(s)} drained`],
  'Check Install': ['install', (s) => `${s.release} installed on ${hosts(s)}`],
  'Check Health': ['health', (s) => `${hosts(s)} healthy`],
  'Check Rollback Drain': ['rollbackDrain', (s) => `${hosts(s)} drained for rollback`],
  'Check Reinstall': ['rollbackInstall', (s) => `previous release reinstalled on ${hosts(s)}`],
  'Check Rollback Health': ['rollbackHealth', (s) => `${hosts(s)} healthy on the previous release`],
  'Check New Hosts Health': ['health', (s) => `${hosts(s)} healthy, in service`],
  'Surge Check New Hosts Health': ['health', (s) => `surge: ${hosts(s)} healthy, in service`],
  'Check Retired': ['retired', (s) => `${hosts(s)} retired`],
  'Surge Check Retired': ['retired', (s) => `surge: ${hosts(s)} stopped`],
  'Check Restored Hosts Health': ['health', (s) => `${hosts(s)} back in service on the previous release`],
  'Check Repoint Reconfigure': ['reconfigure', (s) => `${hosts(s)} reconnected to database ${database(s)}`],
  'Check Repoint Health': ['health', (s) => `${hosts(s)} healthy, in service`],
  'Check Repoint Back Reconfigure': ['reconfigure', (s) => `${hosts(s)} reconnected to database ${database(s)} again`],
  'Check Repoint Back Health': ['health', (s) => `${hosts(s)} healthy, in service`],
};

function hosts(s: BatchView): string {
  return (s.batch?.hosts ?? []).map((h) => h.name).join(', ');
}

function where(s: BatchView): string {
  const b = s.batch;
  return `${s.tier?.name ?? '?'} batch ${(b?.index ?? 0) + 1}/${b?.count ?? '?'}`;
}

export function formatElapsed(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** A progress line for the event, or undefined when the event is not worth a line. */
export function describeEvent(event: ExecutionEvent, startedAt: number): string | undefined {
  const stamp = `[${formatElapsed(event.timestamp - startedAt)}]`;
  switch (event.type) {
    case 'ExecutionStarted':
      return `${stamp} execution started`;
    case 'StateEntered': {
      if (!event.state) return undefined;
      const milestone = MILESTONES[event.state.name];
      if (milestone) return `${stamp} ${milestone(event.state.input as MilestoneView)}`;
      const describe = ENTERED[event.state.name];
      const view = event.state.input as BatchView;
      return describe ? `${stamp} ${where(view)}: ${describe(view)}` : undefined;
    }
    case 'StateExited': {
      if (!event.state) return undefined;
      const output = event.state.output as BatchView & { plan?: PlanView };
      if (event.state.name === 'Plan Release' && output.plan) return `${stamp} ${describePlan(output.plan)}`;
      if (/^Plan (Allocate|Scale Out|Replace)$/.test(event.state.name) && output.plan) return `${stamp} ${describeComputePlan(output.plan as unknown as ComputePlanView)}`;
      if (event.state.name === 'Check Alarms') return `${stamp} ${where(output)}: alarms OK`;
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
  retire?: { hostCount: number; first: boolean };
}

function describeComputePlan(plan: ComputePlanView): string {
  const tiers = plan.tiers.map((t) => `${t.spec.name} +${t.perSubnet.reduce((a, b) => a + b, 0)} on ${t.release}`).join(', ');
  const database = plan.database ? `; database ${plan.database.instanceIdentifier} to bring up` : '';
  const retire = plan.retire ? `; then ${plan.retire.first ? 'first ' : ''}retire the ${plan.retire.hostCount} replaced host(s)` : '';
  return `planned ${plan.workflow}: launch ${plan.launchCount} host(s)${tiers ? ` (${tiers})` : ''}${database}${retire}`;
}

function describePlan(plan: PlanView): string {
  const tiers = plan.tiers
    .map((t) => `${t.spec.name}: ${t.batchCount} batch(es) of up to ${t.spec.batchSize}, min ${t.spec.minHealthy} in service`)
    .join('; ');
  return `planned ${plan.release}: ${plan.hostCount} hosts in ${plan.batchCount} batches (${tiers})`;
}
